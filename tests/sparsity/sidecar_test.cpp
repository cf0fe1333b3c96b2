// sidecar_test.cpp — sparsity sidecars round-trip, and bad ones (another model's hash,
// wrong layer count, truncated, not a sidecar, unknown method) are refused clearly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "format/gguf/gguf_writer.h"
#include "sparsity/histogram.h"
#include "sparsity/sidecar.h"

namespace skim {
namespace {

namespace fs = std::filesystem;

SparsityConfig sample() {
  SparsityConfig c;
  c.method = SparsityMethod::kTeal;
  c.target = 0.4f;
  c.allocation = "greedy";
  c.model_sha256 = std::string(64, 'a');
  c.calibration_files = {"wiki.txt", "books.txt"};
  c.calibration_tokens = 12345;
  c.seed = 7;
  for (int l = 0; l < 3; ++l) c.thresholds.push_back({0.1f * l, 0.2f, 0.3f, 0.0f});
  return c;
}

std::string tmp(const std::string& name) {
  return (fs::temp_directory_path() / (std::to_string(::getpid()) + "_" + name)).string();
}

TEST(Sidecar, RoundTrip) {
  const std::string p = tmp("rt.skim");
  ASSERT_TRUE(save_sidecar(sample(), p).ok());
  auto c = load_sidecar(p, std::string(64, 'a'), 3);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->method, SparsityMethod::kTeal);
  EXPECT_FLOAT_EQ(c->target, 0.4f);
  EXPECT_EQ(c->allocation, "greedy");
  EXPECT_EQ(c->calibration_files, (std::vector<std::string>{"wiki.txt", "books.txt"}));
  EXPECT_EQ(c->calibration_tokens, 12345);
  EXPECT_EQ(c->seed, 7u);
  ASSERT_EQ(c->n_layer(), 3);
  EXPECT_FLOAT_EQ(c->threshold(2, SparsitySite::kQkvIn), 0.2f);
  EXPECT_FLOAT_EQ(c->threshold(1, SparsitySite::kGateUpIn), 0.3f);
  fs::remove(p);
}

TEST(Sidecar, RefusesAnotherModel) {
  const std::string p = tmp("hash.skim");
  ASSERT_TRUE(save_sidecar(sample(), p).ok());
  auto c = load_sidecar(p, std::string(64, 'b'), 3);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("made for model sha256"), std::string::npos) << c.error().message;
  fs::remove(p);
}

TEST(Sidecar, RefusesWrongShape) {
  const std::string p = tmp("shape.skim");
  ASSERT_TRUE(save_sidecar(sample(), p).ok());
  auto c = load_sidecar(p, std::string(64, 'a'), 30);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("expected 30x4"), std::string::npos) << c.error().message;
  fs::remove(p);
}

TEST(Sidecar, RefusesTruncatedAndForeignFiles) {
  const std::string p = tmp("trunc.skim");
  ASSERT_TRUE(save_sidecar(sample(), p).ok());
  const auto size = fs::file_size(p);
  fs::resize_file(p, size - 20);
  auto c = load_sidecar(p, std::string(64, 'a'), 3);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("truncated"), std::string::npos) << c.error().message;

  gguf::Writer w;
  w.add_string("general.architecture", "llama");
  ASSERT_TRUE(w.write(p).ok());
  auto d = load_sidecar(p, "", 3);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("not a skim sparsity sidecar"), std::string::npos);

  auto e = load_sidecar("/nonexistent.skim", "", 3);
  ASSERT_FALSE(e.ok());
  fs::remove(p);
}

TEST(Histogram, QuantilesWithinABin) {
  MagnitudeHistogram h;
  std::vector<float> x(100000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 2 ? -1.0f : 1.0f) * static_cast<float>(i + 1) / 1000.0f;
  h.add(x.data(), static_cast<int64_t>(x.size()));
  // |x| uniform on (0, 100]: the 40% quantile is ~40.
  EXPECT_NEAR(h.quantile(0.4), 40.0f, 40.0f * 0.004f);
  EXPECT_NEAR(h.fraction_below(h.quantile(0.4)), 0.4, 0.002);
  EXPECT_EQ(h.quantile(0.0), 0.0f);
}

}  // namespace
}  // namespace skim
