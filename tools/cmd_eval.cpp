// cmd_eval.cpp — `skim eval --task T`: zero-shot accuracy on the task files (LAMBADA,
// ARC-Easy, HellaSwag, WinoGrande, BoolQ) of --data-dir, else of the data lookup
// (skim/data.h); a missing file is named with the way to provide it before any work.
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "skim/eval.h"

namespace skim::cli {

void add_eval(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("eval", "zero-shot accuracy on task files (lambada, arc_easy, hellaswag, winogrande, boolq)");
  struct Opts {
    ModelOptions m;
    std::vector<std::string> tasks;
    std::string data_dir;
    TaskOptions t;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_model_options(app, o->m);
  app->add_option("--task", o->tasks, "task(s) to run (default: all)")->check(CLI::IsMember(task_names()));
  app->add_option("--data-dir", o->data_dir,
                  "folder with the task folders, e.g. lambada_openai/lambada_test.jsonl (default: $SKIM_DATA, else "
                  "the project's shared/data)");
  app->add_option("--limit", o->t.limit, "first N examples of each task");
  app->add_flag("--json", o->json, "JSON output");
  app->add_flag("--no-progress", [o](int64_t) { o->t.progress = false; }, "no progress bar");
  app->callback([o, &exit_code] {
    if (o->tasks.empty()) o->tasks = task_names();
    std::vector<std::string> files;
    for (const auto& t : o->tasks) files.push_back(task_file(t));
    auto dir = data_dir_holding(o->data_dir, files);
    if (!dir) {
      exit_code = fail(dir.error().message);
      return;
    }
    o->data_dir = *dir;
    if (o->m.ctx == 0) o->m.ctx = 2048;
    auto engine = load_engine(o->m);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& task : o->tasks) {
      auto r = eval_task(*engine, task, o->data_dir, o->t);
      if (!r) {
        exit_code = fail(r.error().message);
        return;
      }
      if (o->json) {
        out.push_back({{"task", r->task}, {"examples", r->examples}, {"acc", r->accuracy},
                       {"acc_norm", r->accuracy_norm < 0 ? nlohmann::json() : nlohmann::json(r->accuracy_norm)},
                       {"metric", r->metric}, {"seconds", r->seconds}});
      } else {
        fmt::print("{:<11} n={:<5} acc {:.4f}{}  [{}]  ({:.0f} s)\n", r->task, r->examples, r->accuracy,
                   r->accuracy_norm >= 0 ? fmt::format("  acc_norm {:.4f}", r->accuracy_norm) : "", r->metric,
                   r->seconds);
      }
    }
    if (o->json) fmt::print("{}\n", out.dump(2));
  });
}

}  // namespace skim::cli
