// test_paths.h — where tests find the default model, the shared data and the skim binary.
// The model is pulled by `make test` before the tests run (into $SKIM_HOME/models or
// ~/.cache/skim/models); a test that needs it fails with a clear message if it is absent.
#pragma once

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

}  // namespace skim::testing
