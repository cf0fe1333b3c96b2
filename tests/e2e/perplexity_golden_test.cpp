// perplexity_golden_test.cpp — skim's perplexity (llama.cpp's method) on the first chunks
// of wiki.test.raw equals llama.cpp's running values from tests/golden/perplexity.json
// (the full-file figure is in the fixture and reproduced by `skim perplexity`).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/test_paths.h"
#include "skim/eval.h"

namespace skim {
namespace {

TEST(GoldenPerplexity, FirstChunksMatchLlamaCpp) {
  std::ifstream in(testing::golden("perplexity.json"));
  if (!in) GTEST_SKIP() << "tests/golden/perplexity.json not generated yet (scripts/dump_golden.py --only perplexity)";
  auto j = nlohmann::json::parse(in);
  const auto running = j["running_ppl_first10"].get<std::vector<double>>();
  ASSERT_GE(running.size(), 4u);
  ASSERT_TRUE(testing::have_default_model());
  SKIM_DATA_OR_SKIP(wiki, "wikitext-2-raw/wiki.test.raw");
  std::ifstream txt(wiki, std::ios::binary);
  ASSERT_TRUE(txt.good());
  std::ostringstream ss;
  ss << txt.rdbuf();
  EngineOptions o;
  o.model_path = testing::default_model_path();
  o.n_ctx = 512;
  auto e = Engine::load(o);
  ASSERT_TRUE(e.ok()) << e.error().message;
  PerplexityOptions p;
  p.n_ctx = 512;
  p.max_chunks = 4;
  p.progress = false;
  auto r = perplexity(*e, ss.str(), p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->tokens, j["n_tokens"].get<int64_t>());
  for (size_t c = 0; c < 4; ++c) {
    std::printf("[golden] chunk %zu: skim %.6f llama.cpp %.6f\n", c + 1, r->running[c], running[c]);
    EXPECT_NEAR(r->running[c], running[c], 1e-4 * running[c]) << "chunk " << c + 1;
  }
}

}  // namespace
}  // namespace skim
