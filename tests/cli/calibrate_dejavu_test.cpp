// calibrate_dejavu_test.cpp — `skim calibrate --method dejavu | dejavu-cats` end to end:
// help lists the Deja Vu options, bad combinations are refused with one line, a tiny
// heads-only calibration on the real model is deterministic with a seed, the combined
// method (heads + CATS thresholds) writes a sidecar the engine loads and runs, and reused
// MLP predictors (--mlp-from) make a hybrid sidecar without training.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/run_command.h"
#include "common/test_paths.h"

namespace skim {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

const std::string& skim() {
  static const std::string s = testing::skim_binary();
  return s;
}

std::string tmp_dir(const std::string& name) {
  const std::string p = testing::fresh_temp_path("cdv_" + name);
  fs::create_directories(p);
  return p;
}

// Tiny settings: 128 tokens in one forward pass, 64 rows per layer, 3 epochs, one thread;
// the calibration text is added by each test (a corpus file, or self).
const std::string kTiny = " --tokens 128 --chunk-tokens 128 --rows 64 --epochs 3 -t 1 --no-progress -q";

#define TINY_CORPUS_OR_SKIP(var)                                                  \
  SKIM_DATA_OR_SKIP(var##_file, "calibration/gutenberg_84_frankenstein.txt");     \
  const std::string var = " --data " + var##_file + kTiny

TEST(CalibrateDejaVu, HelpListsTheOptions) {
  auto r = run_command(skim() + " calibrate --help");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* opt : {"dejavu-cats", "--mlp", "--rank", "--keep", "--heads", "--head-keep", "--head-rank",
                          "--lookahead", "--seed", "--tokens", "--mlp-from", "--cats-sidecar", "--sweep-ranks"}) {
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  }
  auto top = run_command(skim() + " --help");
  EXPECT_EQ(top.out.find("dejavu-train"), std::string::npos) << "folded into calibrate";
}

TEST(CalibrateDejaVu, BadCombinationsFailCleanly) {
  const std::string dir = tmp_dir("bad");
  struct Case {
    std::string args, message;
  };
  for (const Case& c : std::vector<Case>{
           {"--method dejavu --mlp none --heads off", "needs --heads on"},
           {"--method dejavu-cats --heads off", "needs --heads on"},
           {"--method dejavu-cats --mlp hybrid", "drop --mlp hybrid"},
           {"--method dejavu --allocation greedy", "--allocation greedy is for --method teal"},
           {"--method dejavu --mlp sideways", ""},
           {"--method dejavu --mlp cats --sparsity 0", "CATS sparsity 0 out of (0, 1)"},
       }) {
    auto r = run_command(skim() + " calibrate " + c.args + " --data self" + kTiny + " -o " + dir + "/x.skim");
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_TRUE(r.out.empty()) << c.args << ": " << r.out;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_FALSE(fs::exists(dir + "/x.skim")) << c.args;
  }
  auto teal = run_command(skim() + " calibrate --method teal --tokens 512");
  EXPECT_NE(teal.exit_code, 0);
  EXPECT_NE(teal.err.find("--output is required"), std::string::npos) << teal.err;
  fs::remove_all(dir);
}

TEST(CalibrateDejaVu, HeadsOnlyIsDeterministicAndRuns) {
  ASSERT_TRUE(testing::have_default_model()) << "run `skim pull` first";
  TINY_CORPUS_OR_SKIP(tiny);
  const std::string dir = tmp_dir("heads");
  const std::string base = skim() + " calibrate --method dejavu --mlp none --heads on --head-keep 0.67 --seed 3" + tiny;
  auto a = run_command(base + " --json -o " + dir + "/a.skim");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto j = nlohmann::json::parse(a.out);
  EXPECT_EQ(j["mlp"], "none");
  ASSERT_EQ(j["runs"].size(), 1u) << "only the sidecar's head predictors are trained";
  EXPECT_EQ(j["runs"][0]["kind"], "head");
  EXPECT_EQ(j["runs"][0]["layers"].size(), 30u);
  EXPECT_GT(j["runs"][0]["mean_recall"].get<double>(), 0.5);
  auto b = run_command(base + " -o " + dir + "/b.skim");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(b.out, dir + "/b.skim\n");
  EXPECT_NE(b.err.find("head "), std::string::npos) << "per-layer lines on stderr: " << b.err;
  EXPECT_EQ(testing::slurp(dir + "/a.skim"), testing::slurp(dir + "/b.skim")) << "same seed, same sidecar";
  // The engine applies it: 6 of 9 query heads per token -> a third of the q channels skipped.
  auto run = run_command(skim() + " run -t 1 -n 4 --temp 0 --sparsity " + dir + "/a.skim -p \"The capital of France is\"");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("33.3%"), std::string::npos) << run.err;
  fs::remove_all(dir);
}

TEST(CalibrateDejaVu, CombinedWithCatsAndHybridFromReusedPredictors) {
  ASSERT_TRUE(testing::have_default_model()) << "run `skim pull` first";
  TINY_CORPUS_OR_SKIP(tiny);
  const std::string dir = tmp_dir("cats");
  auto c = run_command(skim() + " calibrate --method dejavu-cats --sparsity 0.5 --head-keep 0.67 --json" + tiny +
                       " -o " + dir + "/dvcats.skim");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto j = nlohmann::json::parse(c.out);
  EXPECT_EQ(j["mlp"], "cats");
  EXPECT_DOUBLE_EQ(j["cats_sparsity"].get<double>(), 0.5);
  EXPECT_FALSE(fs::exists(dir + "/dvcats.skim.cats.part")) << "the CATS part is removed";
  auto run = run_command(skim() + " run -t 1 -n 4 --temp 0 --sparsity " + dir + "/dvcats.skim -p \"The capital of France is\"");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("measured sparsity"), std::string::npos) << run.err;

  // An MLP predictor (tiny), then a hybrid sidecar reusing it: no MLP training.
  auto m = run_command(skim() + " calibrate --method dejavu --heads off --rank 4 --keep 0.5" + tiny + " -o " + dir +
                       "/mlp.skim");
  ASSERT_EQ(m.exit_code, 0) << m.err;
  auto h = run_command(skim() + " calibrate --method dejavu --mlp hybrid --keep 0.7 --sparsity 0.3 --heads off --json" +
                       tiny + " --mlp-from " + dir + "/mlp.skim -o " + dir + "/hybrid.skim");
  ASSERT_EQ(h.exit_code, 0) << h.err;
  auto hj = nlohmann::json::parse(h.out);
  EXPECT_EQ(hj["runs"].size(), 0u) << "nothing trained";
  auto gen = run_command(skim() + " run -t 1 -n 4 --temp 0 --sparsity " + dir + "/hybrid.skim -p \"Hello\"");
  EXPECT_EQ(gen.exit_code, 0) << gen.err;
  // Reused predictors must read the same input (lookahead) as the sidecar says.
  auto bad = run_command(skim() + " calibrate --method dejavu --heads off --lookahead on" + tiny + " --mlp-from " + dir +
                         "/mlp.skim -o " + dir + "/bad.skim");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--lookahead off"), std::string::npos) << bad.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace skim
