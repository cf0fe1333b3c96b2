// Golden comparison against llama.cpp (tests/golden/tokens.json, written by
// scripts/dump_golden.py with llama-cpp-python): every recorded string must give exactly
// the recorded ids, and the whole of wikitext-2 wiki.test.raw (add_special = true,
// parse_special = false, as llama-perplexity tokenizes) must give the same id sequence.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "tokenizer/smollm.h"

namespace skim::tok {
namespace {

using Ids = std::vector<int32_t>;

class Golden : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    tok_ = testing::smollm_tokenizer(&error);
    ASSERT_TRUE(tok_) << error;
    const std::string path = skim::testing::golden("tokens.json");
    std::ifstream in(path);
    if (!in) GTEST_SKIP() << "no golden file at " << path << " (run scripts/dump_golden.py)";
    golden_ = nlohmann::json::parse(in);
  }
  static std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  const Tokenizer* tok_ = nullptr;
  nlohmann::json golden_;
};

TEST_F(Golden, Strings) {
  const auto& cases = golden_.at("cases");
  ASSERT_GE(cases.size(), 300u);
  size_t mismatches = 0;
  for (const auto& c : cases) {
    const std::string text = c.at("text").get<std::string>();
    const bool add_special = c.at("add_special").get<bool>();
    const bool parse_special = c.at("parse_special").get<bool>();
    const Ids want = c.at("ids").get<Ids>();
    const Ids got = tok_->encode(text, add_special, parse_special);
    if (got != want) ++mismatches;
    EXPECT_EQ(got, want) << "text=" << nlohmann::json(text).dump() << " add_special=" << add_special
                         << " parse_special=" << parse_special;
  }
  EXPECT_EQ(mismatches, 0u) << "of " << cases.size() << " strings";
}

TEST_F(Golden, WikiTestRaw) {
  const auto& w = golden_.at("wiki_test_raw");
  SKIM_DATA_OR_SKIP(path, w.at("path").get<std::string>());
  const std::string text = read_file(path);
  ASSERT_FALSE(text.empty()) << "cannot read " << path;
  ASSERT_EQ(text.size(), w.at("file_bytes").get<size_t>()) << path << " differs from the golden run's file";

  const auto t0 = std::chrono::steady_clock::now();
  const Ids ids = tok_->encode(text, w.at("add_special").get<bool>(), w.at("parse_special").get<bool>());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("wiki.test.raw: %zu bytes -> %zu tokens in %.0f ms\n", text.size(), ids.size(), ms);

  EXPECT_EQ(ids.size(), w.at("n_tokens").get<size_t>());
  const Ids head = w.at("ids_head").get<Ids>();
  const Ids tail = w.at("ids_tail").get<Ids>();
  ASSERT_GE(ids.size(), head.size() + tail.size());
  EXPECT_EQ(Ids(ids.begin(), ids.begin() + head.size()), head);
  EXPECT_EQ(Ids(ids.end() - tail.size(), ids.end()), tail);
  // Digest of the ids as little-endian int32, as dump_golden.py computes it.
  std::vector<uint8_t> bytes(ids.size() * 4);
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto v = static_cast<uint32_t>(ids[i]);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  EXPECT_EQ(sha256_hex(bytes), w.at("ids_sha256").get<std::string>());
  // Detokenizing gives the text back.
  EXPECT_TRUE(tok_->decode(ids, false) == text);
}

}  // namespace
}  // namespace skim::tok
