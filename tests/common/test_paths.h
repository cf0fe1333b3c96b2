// test_paths.h — where tests find the default model, evaluation/calibration data and the
// skim binary. The model is pulled by `make test` before the tests run (into
// $SKIM_HOME/models or ~/.cache/skim/models); a test that needs it fails with a clear
// message if it is absent. Data comes from the product's own lookup (skim/data.h:
// $SKIM_DATA, then ../shared/data): a test that needs a data file asks for it with
// SKIM_DATA_OR_SKIP and is skipped, with the file and how to provide it, when it is absent
// (a user's checkout). With SKIM_REQUIRE_DATA=1 (.ci/run sets it when ../shared/data is
// present) such a test fails instead, so CI never skips a data test silently.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "skim/data.h"

namespace skim::testing {

inline std::string skim_home() {
  if (const char* h = std::getenv("SKIM_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.cache/skim";
}

inline std::string default_model_path() { return skim_home() + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"; }

inline bool have_default_model() { return std::filesystem::exists(default_model_path()); }

// Whether data tests must fail rather than skip when their data is missing.
inline bool data_required() {
  const char* v = std::getenv("SKIM_REQUIRE_DATA");
  return v && *v && std::string(v) != "0";
}

inline constexpr const char* kDataHow = "put the project's shared/data beside this checkout";

// Declares `std::string var` = the path of data file `rel` (e.g. "wikitext-2-raw/wiki.test.raw"),
// or skips the test (fails it under SKIM_REQUIRE_DATA) naming the file and how to provide it.
// Use in a test body or SetUp.
#define SKIM_DATA_OR_SKIP(var, rel)                                                                 \
  std::string var;                                                                                  \
  if (auto var##_found = ::skim::find_data(rel, ::skim::testing::kDataHow); var##_found.ok()) {     \
    var = *var##_found;                                                                             \
  } else if (::skim::testing::data_required()) {                                                    \
    FAIL() << "SKIM_REQUIRE_DATA is set but " << var##_found.error().message;                       \
  } else                                                                                            \
    GTEST_SKIP() << "needs data: " << var##_found.error().message

inline std::string golden(const std::string& name) { return std::string(SKIM_SOURCE_DIR) + "/tests/golden/" + name; }

inline std::string skim_binary() { return std::string(SKIM_BINARY_DIR) + "/skim"; }

// A path under the temp directory unique to this process and tag, removed if it existed
// (not created).
inline std::string fresh_temp_path(const std::string& tag) {
  const std::filesystem::path p = std::filesystem::temp_directory_path() / ("skim_" + std::to_string(::getpid()) + "_" + tag);
  std::filesystem::remove_all(p);
  return p.string();
}

}  // namespace skim::testing
