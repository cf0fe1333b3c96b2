// cmd_pull.cpp — `skim pull [NAME]`: download a known model into $SKIM_HOME/models.
#include "cli_common.h"

namespace skim::cli {

void add_pull(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("pull", "download a known model (default: smollm2-135m) and verify its sha256");
  auto name = std::make_shared<std::string>(default_model().name);
  auto force = std::make_shared<bool>(false);
  auto list = std::make_shared<bool>(false);
  app->add_option("name", *name, "model name");
  app->add_flag("--force", *force, "download again even if present");
  app->add_flag("--list", *list, "list known models");
  app->callback([=, &exit_code] {
    if (*list) {
      for (const auto& m : known_models()) fmt::print("{:<16} {}  ({})\n", m.name, m.description, model_path(m));
      return;
    }
    auto r = pull_model(*name, *force);
    if (!r) {
      exit_code = fail(r.error().message);
      return;
    }
    fmt::print("{}\n", *r);
  });
}

}  // namespace skim::cli
