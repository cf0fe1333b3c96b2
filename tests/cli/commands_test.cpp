// commands_test.cpp — the skim subcommands end to end on the real model: help on every
// subcommand, info (text and JSON), tokenize, run (streamed text == --json text, seeded
// sampling reproducible), chat over a pipe (two turns, EOF leaves), perplexity --json,
// bench --json (pp, tg and batched tg rows; weights packed at load where the CPU has the
// kernels; bad --parallel refused).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/run_command.h"
#include "common/test_paths.h"

namespace skim {
namespace {

using testing::run_command;
const std::string& skim() {
  static const std::string s = testing::skim_binary();
  return s;
}

TEST(Commands, HelpOnEverySubcommand) {
  for (const char* sub : {"pull", "info", "tokenize", "run", "chat", "perplexity", "bench", "serve", "eval",
                          "calibrate", "sweep"}) {
    auto r = run_command(skim() + " " + sub + " --help");
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub << ": " << r.out;
  }
}

TEST(Commands, InfoTextAndJson) {
  ASSERT_TRUE(testing::have_default_model());
  auto r = run_command(skim() + " info --brief");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("architecture:  llama"), std::string::npos) << r.out;
  auto j = run_command(skim() + " info --json " + testing::default_model_path());
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["architecture"], "llama");
  EXPECT_EQ(doc["n_tensors"], 272);
  EXPECT_EQ(doc["metadata"]["llama.block_count"], 30);
  EXPECT_EQ(doc["tensor_types"]["Q8_0"]["tensors"], 1);
}

TEST(Commands, TokenizeIds) {
  auto r = run_command(skim() + " tokenize --ids -p 'Hello world'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[19556, 905]\n");
  auto s = run_command(skim() + " tokenize --ids -p '<|im_start|>user'");
  EXPECT_EQ(s.out, "[1, 4093]\n");
  auto n = run_command(skim() + " tokenize --ids --no-parse-special -p '<|im_start|>'");
  EXPECT_NE(n.out, "[1]\n");
}

TEST(Commands, RunStreamsTheSameTextAsJson) {
  const std::string args = " run --temp 0 -n 24 -p 'The three primary colors are'";
  auto streamed = run_command(skim() + args);
  ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
  auto js = run_command(skim() + args + " --json");
  ASSERT_EQ(js.exit_code, 0) << js.err;
  auto doc = nlohmann::json::parse(js.out);
  EXPECT_EQ(streamed.out, doc["text"].get<std::string>() + "\n");
  EXPECT_EQ(doc["tokens"].size(), 24u);
  EXPECT_EQ(doc["finish_reason"], "length");
  EXPECT_NE(streamed.err.find("tok/s"), std::string::npos);  // timings on stderr, not stdout
}

TEST(Commands, SeededSamplingIsReproducible) {
  const std::string args = " run --temp 0.9 --seed 42 -n 16 --json -p 'Once upon a time'";
  auto a = run_command(skim() + args);
  auto b = run_command(skim() + args);
  auto c = run_command(skim() + " run --temp 0.9 --seed 43 -n 16 --json -p 'Once upon a time'");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(nlohmann::json::parse(a.out)["tokens"], nlohmann::json::parse(b.out)["tokens"]);
  EXPECT_NE(nlohmann::json::parse(a.out)["tokens"], nlohmann::json::parse(c.out)["tokens"]);
}

TEST(Commands, StopStringEndsGeneration) {
  auto r = run_command(skim() + " run --temp 0 -n 64 --json --stop ',' -p 'Apples, pears, plums, cherries, grapes'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["finish_reason"], "stop");
  EXPECT_EQ(doc["text"].get<std::string>().find(','), std::string::npos);
}

TEST(Commands, ChatOverAPipe) {
  auto r = run_command(skim() + " chat --temp 0 -n 24", "What is 2 plus 2?\nAnd times 3?\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // two replies, one per line of input
  size_t lines = 0;
  for (char ch : r.out) lines += ch == '\n';
  EXPECT_GE(lines, 2u) << r.out;
  auto e = run_command(skim() + " chat --temp 0 -n 8", "/exit\nnot read\n");
  EXPECT_EQ(e.exit_code, 0);
  EXPECT_EQ(e.out, "");
}

TEST(Commands, PerplexityJson) {
  ASSERT_TRUE(testing::have_default_model());
  SKIM_DATA_OR_SKIP(path, "wikitext-2-raw/wiki.test.raw");
  auto r = run_command(skim() + " perplexity --json --no-progress -c 128 --chunks 2 -f " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["chunks"], 2);
  EXPECT_EQ(doc["scored_tokens"], 2 * 63);
  EXPECT_GT(doc["perplexity"].get<double>(), 2.0);
  EXPECT_LT(doc["perplexity"].get<double>(), 200.0);
}

TEST(Commands, BenchJsonWithBatchedDecode) {
  ASSERT_TRUE(testing::have_default_model());
  auto r = run_command(skim() + " bench -t 1 -p 8 -n 4 -r 1 --parallel 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  std::vector<std::string> names;
  for (const auto& t : doc["tests"]) {
    names.push_back(t["test"].get<std::string>());
    EXPECT_GT(t["avg_ts"].get<double>(), 0.0) << t.dump();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"pp8", "tg4", "tg4 x3"}));
  EXPECT_GT(doc["peak_rss_bytes"].get<int64_t>(), 0);
  if (doc["isa"] == "avx512") {  // every Q4_1 / Q8_0 matrix of the default model has rows % 8 == 0
    EXPECT_GT(doc["packed_weight_bytes"].get<int64_t>(), 90ll << 20) << "weights packed at load";
  }
  auto bad = run_command(skim() + " bench -t 1 -p 0 -n 4 --parallel 0");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("parallel"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace skim
