// cmd_sweep.cpp — `skim sweep`: methods x sparsity levels -> measured sparsity, perplexity,
// zero-shot accuracy and decode speed (dense interleaved) in one run. Markdown table on
// stdout (or --json), logs and a progress bar with ETA on stderr, sweep.csv + sweep.json
// (and the sidecars) in --out-dir. scripts/plot_sweep.py draws the Pareto plot from them.
// Data (wiki.test.raw, the task files, calibration/*.txt for --calibration corpus) comes
// from --data-dir, else the data lookup (skim/data.h); what is missing is named up front.
#include <filesystem>

#include "cli_common.h"
#include "skim/eval.h"
#include "skim/sweep.h"

namespace skim::cli {

namespace fs = std::filesystem;

void add_sweep(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand(
      "sweep", "sparsity sweep: calibrate each method x level, measure sparsity, perplexity, accuracy, tok/s vs dense");
  struct Opts {
    ModelOptions m;
    SweepOptions s;
    std::string data_dir;
    std::vector<std::string> calibrations = {"corpus"};
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("-m,--model", o->m.model, "GGUF file or known model name (default: smollm2-135m, pulled if missing)");
  app->add_option("-t,--threads", o->s.threads, "threads (default: physical cores)")->check(CLI::Range(0, 1024));
  app->add_option("--methods", o->s.methods, "comma-separated: teal (uniform), teal-greedy, cats")
      ->delimiter(',')
      ->check(CLI::IsMember(sweep_methods()));
  app->add_option("--sidecars", o->s.sidecars, "extra ready-made sidecars to measure (e.g. Deja Vu from calibrate --method dejavu)")
      ->delimiter(',')
      ->check(CLI::ExistingFile);
  app->add_option("--levels", o->s.levels, "comma-separated target sparsities in [0, 0.95]")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 0.95));
  app->add_option("--ppl-chunks", o->s.ppl_chunks,
                  "perplexity over the first N chunks of 512 tokens of wiki.test.raw (default 4)")
      ->check(CLI::Range(1, 100000));
  app->add_option("--limit", o->s.task_limit, "first N examples of each task (default 30)")->check(CLI::Range(1, 1000000));
  app->add_option("--tasks", o->s.tasks, "comma-separated tasks (default: lambada,arc_easy,winogrande)")
      ->delimiter(',')
      ->check(CLI::IsMember(task_names()));
  app->add_option("-n,--n-gen", o->s.n_gen, "decode tokens per speed repetition (default 64)")->check(CLI::Range(1, 4096));
  app->add_option("-r,--repetitions", o->s.repetitions, "speed repetitions, dense and sparse interleaved (default 3)")
      ->check(CLI::Range(1, 1000));
  app->add_option("--sparsity-tokens", o->s.sparsity_tokens,
                  "decode tokens of the evaluation text for the measured sparsity (default 128)")
      ->check(CLI::Range(1, 2048));
  app->add_option("--out-dir", o->s.out_dir, "sidecars, sweep.csv and sweep.json go here (default build/sweep)");
  app->add_option("--data-dir", o->data_dir,
                  "data folder: wikitext-2-raw/wiki.test.raw, the task folders, calibration/*.txt (default: $SKIM_DATA, "
                  "else the project's shared/data)");
  app->add_option("--calibration", o->calibrations,
                  "calibration text of each point: corpus (calibration/*.txt), self (text the model generates itself), "
                  "or corpus,self (rows for both; self rows are labelled <method>@self)")
      ->delimiter(',')
      ->check(CLI::IsMember({"corpus", "self"}))
      ->capture_default_str();
  app->add_option("--calibration-tokens", o->s.calibration_tokens, "calibration tokens (default 16384)")
      ->check(CLI::Range(512, 1 << 24));
  app->add_option("--seed", o->s.seed, "seed for calibration chunks, greedy's rows and bench tokens");
  app->add_flag("--json", o->json, "print the report as JSON instead of a markdown table");
  app->add_flag("--no-progress", [o](int64_t) { o->s.progress = false; }, "no progress bars");
  app->callback([o, &exit_code] {
    SweepOptions& s = o->s;
    s.calibrations.clear();
    for (const auto& c : o->calibrations) {
      const CalibrationSource src = c == "self" ? CalibrationSource::kSelf : CalibrationSource::kFiles;
      if (std::find(s.calibrations.begin(), s.calibrations.end(), src) == s.calibrations.end()) s.calibrations.push_back(src);
    }
    std::vector<std::string> needed = {"wikitext-2-raw/wiki.test.raw"};
    for (const auto& t : s.tasks) needed.push_back(task_file(t));
    auto data = data_dir_holding(o->data_dir, needed);
    if (!data) {
      exit_code = fail("sweep: " + data.error().message);
      return;
    }
    s.data_dir = *data;
    s.ppl_file = (fs::path(*data) / "wikitext-2-raw" / "wiki.test.raw").string();
    const bool corpus = std::find(s.calibrations.begin(), s.calibrations.end(), CalibrationSource::kFiles) !=
                        s.calibrations.end();
    s.calibration_files = text_files((fs::path(*data) / "calibration").string());
    if (corpus && s.calibration_files.empty()) {
      exit_code = fail(fmt::format("sweep: no calibration text in {}/calibration (*.txt); pass --calibration self to "
                                   "calibrate on text the model generates itself",
                                   *data));
      return;
    }
    auto path = resolve_model(o->m.model);
    if (!path) {
      exit_code = fail(path.error().message);
      return;
    }
    s.model_path = *path;
    fmt::print(stderr,
               "sweep: {} methods x {} levels; perplexity on the first {} chunks of 512 tokens of wiki.test.raw; "
               "{} examples each of {}; tok/s over {} decode tokens x {} repetitions (dense interleaved)\n",
               s.methods.size(), s.levels.size(), s.ppl_chunks, s.task_limit, fmt::join(s.tasks, ", "), s.n_gen,
               s.repetitions);
    auto r = sweep(s, [](const SweepRow& row) {
      std::string acc;
      for (size_t i = 0; i < row.task_names.size(); ++i) acc += fmt::format(" {} {:.3f}", row.task_names[i], row.task_acc[i]);
      fmt::print(stderr, "\nsweep: {} {:.0f}%: sparsity {:.1f}% (param. {:.1f}%), ppl {:.3f},{}, {:.1f} tok/s ({:.2f}x){}\n",
                 row.method, 100 * row.target, 100 * row.sparsity, 100 * row.param_sparsity, row.perplexity, acc,
                 row.tok_s, row.speedup,
                 row.method != "dense" && !row.masked_prefill ? " [prefill dense: quality not affected]" : "");
    });
    if (!r) {
      exit_code = fail(r.error().message);
      return;
    }
    if (auto st = write_sweep_files(*r, s.out_dir); !st.ok()) {
      exit_code = fail(st.error().message);
      return;
    }
    if (o->json) {
      fmt::print("{}\n", sweep_json(*r));
    } else {
      fmt::print("{}", sweep_markdown(*r));
      fmt::print("\n{} on {} threads ({}); perplexity: first {} chunks x {} tokens ({} scored) of wiki.test.raw; "
                 "accuracy: first {} examples per task; tok/s: tg{} x {} repetitions, dense interleaved\n",
                 r->model, r->threads, r->isa, r->ppl_chunks, r->ppl_ctx, r->ppl_scored, r->task_limit, r->n_gen,
                 r->repetitions);
    }
    fmt::print(stderr, "sweep: wrote {}/sweep.csv and sweep.json in {:.0f} s\n", s.out_dir, r->seconds);
  });
}

}  // namespace skim::cli
