// cmd_calibrate.cpp — `skim calibrate --method teal --sparsity 0.4 -o FILE`: thresholds
// from calibration text (default: every file in ../shared/data/calibration) -> sidecar.
#include <filesystem>

#include "cli_common.h"
#include "skim/sparsity.h"

namespace skim::cli {

namespace {
std::vector<std::string> default_calibration_files() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (fs::path dir : {exe.parent_path() / "../../shared/data/calibration", fs::path("../shared/data/calibration")}) {
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".txt") files.push_back(fs::weakly_canonical(e.path(), ec).string());
    }
    if (!files.empty()) return files;
  }
  return {};
}
}  // namespace

void add_calibrate(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("calibrate", "calibrate contextual sparsity on calibration text; writes a sidecar");
  struct Opts {
    ModelOptions m;
    CalibrateOptions c;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  add_model_options(app, o->m, /*with_sparsity=*/false);
  app->add_option("--method", o->c.method, "teal | cats")->check(CLI::IsMember({"teal", "cats"}));
  app->add_option("--sparsity", o->c.sparsity, "target sparsity in [0, 1)")->check(CLI::Range(0.0, 0.99));
  app->add_option("--allocation", o->c.allocation, "per-layer allocation: uniform");
  app->add_option("--data", o->c.files, "calibration text files (default: ../shared/data/calibration/*.txt)");
  app->add_option("--tokens", o->c.max_tokens, "calibration tokens to run")->check(CLI::PositiveNumber);
  app->add_option("--seed", o->c.seed, "seed for the choice of calibration chunks");
  app->add_option("-o,--output", o->out, "sidecar file to write")->required();
  app->add_flag("--no-progress", [o](int64_t) { o->c.progress = false; }, "no progress bar");
  app->callback([o, &exit_code] {
    if (o->c.files.empty()) o->c.files = default_calibration_files();
    if (o->c.files.empty()) {
      exit_code = fail("no calibration files found; pass --data FILE...");
      return;
    }
    ModelOptions mo = o->m;
    mo.ctx = std::max(mo.ctx, o->c.chunk);
    auto engine = load_engine(mo);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    auto r = calibrate(*engine, o->c, o->out);
    if (!r) {
      exit_code = fail(r.error().message);
      return;
    }
    fmt::print("{}\n", r->sidecar_path);
    fmt::print(stderr, "calibrated {} {:.0f}% on {} tokens in {:.1f} s\n", o->c.method, 100 * o->c.sparsity, r->tokens,
               r->seconds);
  });
}

}  // namespace skim::cli
