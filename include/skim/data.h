// data.h — where skim finds evaluation and calibration data (public API).
//
// One lookup for every command and test, in this order:
//   1. a path the user passed explicitly (-f, --data, --data-dir): used as given, by the
//      caller, before asking this lookup;
//   2. $SKIM_DATA: a folder laid out like the project's shared/data (wikitext-2-raw/,
//      calibration/, lambada_openai/, arc_easy/, ...). When set it is the only place
//      looked in, so SKIM_DATA=/nonexistent means "no data" (what a user's machine has);
//   3. ../shared/data beside the source tree skim was built from (development and CI).
// A user's checkout has neither of the last two; then find_data's error names the file,
// where it looked and the flag that passes it directly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "skim/result.h"

namespace skim {

enum class DataOrigin { kEnvironment, kSourceTree, kNone };

struct DataRoot {
  std::string dir;  // empty when origin is kNone
  DataOrigin origin = DataOrigin::kNone;
};

// The folder data is looked up in (steps 2-3 above); it need not exist when it comes
// from $SKIM_DATA.
DataRoot find_data_root();

// Where the lookup looks, for messages: "looked in $SKIM_DATA (DIR)", "looked in DIR", or
// "SKIM_DATA is unset and there is no DIR".
std::string data_lookup_summary();

// The path of `rel` (e.g. "wikitext-2-raw/wiki.test.raw") under the data root, or a
// one-line error: what is missing, where it looked, and `how` (e.g. "pass -f FILE").
Result<std::string> find_data(std::string_view rel, std::string_view how);

// Every *.txt file of <data root>/calibration, sorted; empty when there is none.
std::vector<std::string> default_calibration_files();

// The *.txt files of a folder, canonical paths, sorted (empty if none or unreadable).
std::vector<std::string> text_files(const std::string& dir);

}  // namespace skim
