// cmd_info.cpp — `skim info [MODEL]`: metadata and tensor table of a GGUF file.
#include "cli_common.h"
#include "skim/inspect.h"

namespace skim::cli {

void add_info(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("info", "print a GGUF file's metadata and tensor table");
  auto model = std::make_shared<std::string>();
  auto opt = std::make_shared<InspectOptions>();
  app->add_option("model", *model, "GGUF file or known model name (default: the default model)");
  app->add_option("-m,--model", *model, "same as the positional argument");
  app->add_flag("--json", opt->json, "JSON output");
  app->add_flag("--brief", opt->brief, "summary only");
  app->callback([=, &exit_code] {
    auto path = resolve_model(*model);
    if (!path) {
      exit_code = fail(path.error().message);
      return;
    }
    auto r = inspect_gguf(*path, *opt);
    if (!r) {
      exit_code = fail(r.error().message);
      return;
    }
    fmt::print("{}", *r);
  });
}

}  // namespace skim::cli
