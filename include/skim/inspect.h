// inspect.h — human- and machine-readable descriptions of a GGUF file (`skim info`).
#pragma once

#include <string>

#include "skim/result.h"

namespace skim {

struct InspectOptions {
  bool json = false;   // one JSON object instead of text
  bool brief = false;  // summary only: no full metadata and tensor tables
};

// Parses and validates the file (header, metadata, tensor infos); a bad file is an Error.
Result<std::string> inspect_gguf(const std::string& path, const InspectOptions& opt);

}  // namespace skim
