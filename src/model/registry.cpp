// registry.cpp — maps general.architecture to a loader; unknown architectures are clear errors.
#include "model/registry.h"

#include <fmt/core.h>

#include <string_view>

#include "model/llama/llama.h"

namespace skim {

namespace {
struct Entry {
  std::string_view arch;
  Result<std::unique_ptr<Model>> (*load)(const gguf::File&);
};
constexpr Entry kArchitectures[] = {
    {"llama", &llama::load},
};
}  // namespace

Result<std::unique_ptr<Model>> load_model(const gguf::File& file) {
  SKIM_TRY(std::string_view arch, file.get_string("general.architecture"));
  for (const auto& e : kArchitectures) {
    if (e.arch == arch) return e.load(file);
  }
  std::string known;
  for (const auto& e : kArchitectures) known += (known.empty() ? "" : ", ") + std::string(e.arch);
  return make_error(fmt::format("unsupported model architecture '{}' (supported: {})", arch, known));
}

}  // namespace skim
