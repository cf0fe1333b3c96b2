// test_paths.h — where tests find the default model, the shared data and the skim binary.
// The model is pulled by `make test` before the tests run (into $SKIM_HOME/models or
// ~/.cache/skim/models); a test that needs it fails with a clear message if it is absent.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace skim::testing {

inline std::string skim_home() {
  if (const char* h = std::getenv("SKIM_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.cache/skim";
}

inline std::string default_model_path() { return skim_home() + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"; }

inline bool have_default_model() { return std::filesystem::exists(default_model_path()); }

// ../shared/data next to the repository.
inline std::string shared_data(const std::string& rel) { return std::string(SKIM_SOURCE_DIR) + "/../shared/data/" + rel; }

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
