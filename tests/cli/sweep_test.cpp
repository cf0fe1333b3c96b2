// sweep_test.cpp — `skim sweep` and `skim calibrate --allocation greedy` end to end:
// help, bad options refused with one clean message, greedy refused for CATS, and a tiny
// real sweep on the default model (1 method, 2 levels, 1 perplexity chunk, 5 examples,
// 8 decode tokens) whose CSV and JSON hold sane values; its sidecar is reused on a rerun,
// next to a ready-made Deja Vu sidecar with its predictor recall and cost.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/run_command.h"
#include "common/test_paths.h"
#include "skim/eval.h"

namespace skim {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

const std::string& skim() {
  static const std::string s = testing::skim_binary();
  return s;
}

std::string tmp_dir(const std::string& name) { return testing::fresh_temp_path("sweep_" + name); }

TEST(Sweep, Help) {
  auto r = run_command(skim() + " sweep --help");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* opt : {"Usage", "--methods", "--levels", "--ppl-chunks", "--limit", "-n", "-r", "--out-dir", "--json"}) {
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  }
}

TEST(Sweep, BadOptionsFailCleanly) {
  for (const char* args : {"--methods bogus", "--levels 0.2,1.5", "--ppl-chunks 0", "--no-such-flag", "-n 0",
                           "--tasks nope", "--sidecars /nonexistent/dejavu.skim"}) {
    auto r = run_command(skim() + " sweep " + args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_TRUE(r.out.empty()) << args << ": " << r.out;
    EXPECT_FALSE(r.err.empty()) << args;
    EXPECT_EQ(r.err.find("sweep:"), std::string::npos) << args << ": the sweep started: " << r.err;
  }
}

TEST(Calibrate, GreedyAllocationRefusedForCats) {
  auto r = run_command(skim() + " calibrate --method cats --allocation greedy --tokens 512 --no-progress -o " +
                       tmp_dir("cats.skim"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("error: greedy allocation is for --method teal"), std::string::npos) << r.err;
  auto bad = run_command(skim() + " calibrate --allocation sideways -o x.skim");
  EXPECT_NE(bad.exit_code, 0);
}

TEST(Calibrate, GreedyOnTheRealModelIsDeterministic) {
  ASSERT_TRUE(testing::have_default_model()) << "run `skim pull` first";
  const std::string dir = tmp_dir("greedy");
  fs::create_directories(dir);
  const std::string base = skim() + " calibrate --method teal --allocation greedy --sparsity 0.4 --tokens 512"
                                    " --greedy-rows 16 -t 1 --no-progress --json -o ";
  auto a = run_command(base + dir + "/a.skim");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto j = nlohmann::json::parse(a.out);
  EXPECT_EQ(j["allocation"], "greedy");
  EXPECT_GE(j["allocated_sparsity"].get<double>(), 0.4 - 1e-9);
  EXPECT_LT(j["allocated_sparsity"].get<double>(), 0.41);
  double lo = 1, hi = 0;
  for (const auto& [k, v] : j["site_sparsity"].items()) {
    lo = std::min(lo, v.get<double>());
    hi = std::max(hi, v.get<double>());
  }
  EXPECT_GE(lo, 0.0);
  EXPECT_LE(hi, 0.95);
  EXPECT_GT(hi - lo, 0.01) << "greedy should not land on a uniform allocation: " << a.out;
  auto b = run_command(base + dir + "/b.skim");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(testing::slurp(dir + "/a.skim"), testing::slurp(dir + "/b.skim")) << "same seed, same sidecar";
  fs::remove_all(dir);
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(testing::slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream ls(line);
    std::string c;
    while (std::getline(ls, c, ',')) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

TEST(Sweep, TinyRealSweep) {
  ASSERT_TRUE(testing::have_default_model()) << "run `skim pull` first";
  SKIM_DATA_OR_SKIP(wiki, "wikitext-2-raw/wiki.test.raw");
  SKIM_DATA_OR_SKIP(corpus_file, "calibration/gutenberg_84_frankenstein.txt");
  for (const char* t : {"lambada", "arc_easy"}) {
    SKIM_DATA_OR_SKIP(task, task_file(t));
    (void)task;
  }
  (void)wiki;  // the sweep finds it through the same lookup
  const std::string dir = tmp_dir("tiny");
  // One thread: on a shared, loaded machine a thread pool's barriers make 2-thread decode erratic.
  const std::string cmd = skim() + " sweep --methods teal --levels 0,0.5 --ppl-chunks 1 --limit 5 --tasks lambada,arc_easy"
                                   " -n 8 -r 1 -t 1 --sparsity-tokens 32 --calibration-tokens 512 --no-progress --out-dir " +
                          dir;
  auto r = run_command(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Markdown on stdout: header, separator, dense + 2 rows, then the settings line.
  EXPECT_NE(r.out.find("| method | target |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| dense |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| teal | 50% |"), std::string::npos) << r.out;

  const auto csv = read_csv(dir + "/sweep.csv");
  ASSERT_EQ(csv.size(), 4u);
  EXPECT_EQ(csv[0][0], "method");
  EXPECT_EQ(csv[1][0], "dense");

  auto doc = nlohmann::json::parse(testing::slurp(dir + "/sweep.json"));
  ASSERT_EQ(doc["rows"].size(), 3u);
  EXPECT_EQ(doc["settings"]["ppl_chunks"], 1);
  const auto& dense = doc["rows"][0];
  const auto& t0 = doc["rows"][1];
  const auto& t50 = doc["rows"][2];
  EXPECT_EQ(t50["method"], "teal");
  EXPECT_DOUBLE_EQ(t50["target"].get<double>(), 0.5);
  for (const auto& row : doc["rows"]) {
    EXPECT_GT(row["perplexity"].get<double>(), 1.0);
    EXPECT_LT(row["perplexity"].get<double>(), 1000.0);
    EXPECT_GT(row["tok_s"].get<double>(), 0.0);
    EXPECT_GT(row["dense_tok_s"].get<double>(), 0.0);
    EXPECT_GT(row["speedup"].get<double>(), 0.0);
    for (const char* t : {"lambada", "arc_easy"}) {
      const double a = row["accuracy"][t].get<double>();
      EXPECT_GE(a, 0.0);
      EXPECT_LE(a, 1.0);
    }
  }
  EXPECT_EQ(dense["sparsity"].get<double>(), 0.0);
  EXPECT_LT(t0["sparsity"].get<double>(), 0.02);  // threshold 0 drops only exact zeros
  // 50% of channels by calibration quantiles; the evaluation text lands near it.
  EXPECT_GT(t50["sparsity"].get<double>(), 0.35);
  EXPECT_LT(t50["sparsity"].get<double>(), 0.65);
  EXPECT_GT(t50["param_sparsity"].get<double>(), 0.35);
  EXPECT_LT(t50["param_sparsity"].get<double>(), 0.65);
  if (t50["masked_prefill"].get<bool>()) {
    // With the thresholds applied to prefill, 50% sparsity costs perplexity.
    EXPECT_GT(t50["perplexity"].get<double>(), dense["perplexity"].get<double>());
  }
  EXPECT_TRUE(fs::exists(dir + "/sidecars/teal-50.skim"));

  // Second run: the sidecar reused (same provenance), the same point calibrated on
  // self-generated text (--calibration corpus,self), plus a ready-made Deja Vu sidecar
  // (heads 7 of 9 + CATS, tiny calibration) labelled by what it does, with predictor
  // recall and cost.
  const std::string dv = dir + "/dvcats.skim";
  auto cal = run_command(skim() + " calibrate --method dejavu-cats --sparsity 0.5 --head-keep 0.78 --data " +
                         corpus_file +
                         " --tokens 128 --chunk-tokens 128 --rows 64 --epochs 2 -t 1 --no-progress -q -o " + dv);
  ASSERT_EQ(cal.exit_code, 0) << cal.err;
  auto again = run_command(skim() + " sweep --methods teal --levels 0.5 --ppl-chunks 1 --limit 1 --tasks lambada"
                                    " -n 2 -r 1 -t 1 --sparsity-tokens 4 --calibration-tokens 512 --no-progress --json "
                                    "--calibration corpus,self --sidecars " + dv + " --out-dir " + dir);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("calibrated on calibration files in " + dir + "/sidecars (1 reused)"), std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("calibrated on self-generated text in " + dir + "/sidecars (0 reused)"), std::string::npos)
      << again.err;
  const auto j2 = nlohmann::json::parse(again.out);
  ASSERT_EQ(j2["rows"].size(), 4u);
  EXPECT_EQ(j2["rows"][1]["calibration"], "files");
  const auto& self = j2["rows"][2];
  EXPECT_EQ(self["method"], "teal@self");
  EXPECT_EQ(self["calibration"], "self");
  EXPECT_GT(self["sparsity"].get<double>(), 0.25) << "thresholds from self-generated text still skip about half";
  EXPECT_LT(self["sparsity"].get<double>(), 0.75);
  EXPECT_TRUE(fs::exists(dir + "/sidecars/teal-50.self.skim"));
  const auto& d = j2["rows"][3];
  EXPECT_EQ(d["method"], "dejavu-heads7/9+cats");
  EXPECT_LT(d["mlp_recall"].get<double>(), 0.0) << "no MLP predictor";
  EXPECT_GT(d["head_recall"].get<double>(), 0.5);
  EXPECT_GT(d["predictor_cost"].get<double>(), 0.0);
  EXPECT_LT(d["predictor_cost"].get<double>(), 0.01);
  EXPECT_LT(j2["rows"][1]["head_recall"].get<double>(), 0.0) << "TEAL has no predictor";
  EXPECT_NE(testing::slurp(dir + "/sweep.csv").find(",mlp_recall,head_recall,predictor_cost"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace skim
