// bad_input_test.cpp — the skim binary refuses bad input with one clear line on stderr
// and a non-zero exit status: missing, truncated, corrupt and random files, unknown
// architectures, unsupported tensor types, over-long prompts, unknown models.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/run_command.h"
#include "common/test_paths.h"
#include "format/gguf/gguf_writer.h"

namespace skim {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("skim_bad_input_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

  // Runs skim and checks: non-zero exit, stderr is exactly one "error: ..." line that
  // contains `expect`.
  void expect_clean_error(const std::string& args, const std::string& expect, const std::string& input = "") {
    auto r = run_command(testing::skim_binary() + " " + args, input);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(r.exit_code, 1) << "not a clean error exit (crash?) for: " << args << "\n" << r.err;
    // the last line of stderr is the error; logs may precede it
    std::string err = r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    const std::string last = err.substr(err.rfind('\n') == std::string::npos ? 0 : err.rfind('\n') + 1);
    EXPECT_EQ(last.rfind("error: ", 0), 0u) << "stderr: " << r.err;
    EXPECT_NE(last.find(expect), std::string::npos) << "stderr: " << r.err;
  }

  std::vector<uint8_t> model_head(size_t n) {
    std::ifstream in(testing::default_model_path(), std::ios::binary);
    std::vector<uint8_t> b(n);
    in.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(n));
    b.resize(static_cast<size_t>(in.gcount()));
    return b;
  }

  fs::path dir_;
};

TEST_F(BadInput, MissingModelFile) {
  expect_clean_error("run -m /nonexistent/x.gguf -p hi", "model file '/nonexistent/x.gguf' not found");
  expect_clean_error("info /nonexistent/x.gguf", "not found");
}

TEST_F(BadInput, TruncatedModel) {
  ASSERT_TRUE(testing::have_default_model());
  for (size_t n : {3ul, 100ul, 5000ul, 1ul << 20}) {
    const std::string p = write("trunc.gguf", model_head(n));
    expect_clean_error("info " + p, "truncated");
    expect_clean_error("run -m " + p + " -p hi", "truncated");
  }
}

TEST_F(BadInput, RandomAndCorruptFiles) {
  std::mt19937 rng(7);
  std::vector<uint8_t> noise(4096);
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  expect_clean_error("info " + write("noise.bin", noise), "not a GGUF file");
  ASSERT_TRUE(testing::have_default_model());
  auto head = model_head(1 << 16);
  head[20] ^= 0xFF;  // inside the first key length: absurd length
  const std::string p = write("corrupt.gguf", head);
  auto r = run_command(testing::skim_binary() + " info " + p);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
}

TEST_F(BadInput, UnknownArchitectureAndType) {
  gguf::Writer w;
  w.add_string("general.architecture", "rwkv99");
  std::vector<uint8_t> data(64, 0);
  w.add_tensor("token_embd.weight", gguf::GgmlType::kF32, {2, 8}, data);
  expect_clean_error("run -m " + write("arch.gguf", w.to_bytes()) + " -p hi", "unsupported model architecture 'rwkv99'");

  // A file whose header names a tensor type id that does not exist.
  gguf::Writer w2;
  w2.add_string("general.architecture", "llama");
  w2.add_tensor("token_embd.weight", static_cast<gguf::GgmlType>(31), {2, 8}, data);
  expect_clean_error("info " + write("type.gguf", w2.to_bytes()), "unknown ggml type id 31");
}

TEST_F(BadInput, PromptLongerThanContext) {
  ASSERT_TRUE(testing::have_default_model());
  std::string prompt;
  for (int i = 0; i < 100; ++i) prompt += "word ";
  expect_clean_error("run -c 32 -n 4 -p '" + prompt + "'", "prompt too long");
}

TEST_F(BadInput, UnknownModelNameAndBadArguments) {
  expect_clean_error("pull no-such-model", "unknown model 'no-such-model'");
  auto r = run_command(testing::skim_binary() + " run --temp abc -p hi");
  EXPECT_NE(r.exit_code, 0);
  auto r2 = run_command(testing::skim_binary() + " frobnicate");
  EXPECT_NE(r2.exit_code, 0);
  expect_clean_error("perplexity -f /nonexistent.txt", "cannot read '/nonexistent.txt'");
}

}  // namespace
}  // namespace skim
