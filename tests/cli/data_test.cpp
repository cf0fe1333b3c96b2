// data_test.cpp — a checkout without data (a user's): the data lookup (skim/data.h), the
// commands that need data naming what is missing and how to provide it, and calibration
// on text the model generates itself (`skim calibrate --data self`, and the fallback when
// no calibration text is found anywhere). SKIM_DATA=<empty folder> stands for "no data".
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/run_command.h"
#include "common/test_paths.h"
#include "skim/data.h"

namespace skim {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

std::string skim() { return testing::skim_binary(); }

// An empty folder for SKIM_DATA: the lookup finds nothing in it.
std::string empty_data_dir() {
  static const std::string d = [] {
    const std::string p = testing::fresh_temp_path("nodata");
    fs::create_directories(p);
    return p;
  }();
  return d;
}

std::string no_data() { return "SKIM_DATA=" + empty_data_dir() + " "; }

TEST(DataLookup, EnvironmentFirstThenErrorsNameFileAndFlag) {
  const std::string dir = testing::fresh_temp_path("lookup");
  fs::create_directories(dir + "/wikitext-2-raw");
  std::ofstream(dir + "/wikitext-2-raw/wiki.test.raw") << "text\n";
  ::setenv("SKIM_DATA", dir.c_str(), 1);
  EXPECT_EQ(find_data_root().origin, DataOrigin::kEnvironment);
  auto found = find_data("wikitext-2-raw/wiki.test.raw", "pass -f FILE");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, dir + "/wikitext-2-raw/wiki.test.raw");
  // Set, SKIM_DATA is the only place looked in: a file missing there is missing.
  auto missing = find_data("calibration/x.txt", "pass --data FILE");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("calibration/x.txt not found"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("$SKIM_DATA (" + dir + ")"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("pass --data FILE"), std::string::npos) << missing.error().message;
  EXPECT_TRUE(default_calibration_files().empty());
  std::ofstream(dir + "/calibration.txt") << "not in calibration/\n";
  fs::create_directories(dir + "/calibration");
  std::ofstream(dir + "/calibration/b.txt") << "b\n";
  std::ofstream(dir + "/calibration/a.txt") << "a\n";
  std::ofstream(dir + "/calibration/notes.md") << "not text\n";
  const auto files = default_calibration_files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(fs::path(files[0]).filename(), "a.txt");
  EXPECT_EQ(fs::path(files[1]).filename(), "b.txt");
  ::unsetenv("SKIM_DATA");
  EXPECT_NE(find_data_root().origin, DataOrigin::kEnvironment);
  fs::remove_all(dir);
}

TEST(DataLookup, CommandsSayWhatDataTheyNeed) {
  struct Case {
    std::string args;
    std::vector<std::string> says;
  };
  for (const Case& c : std::vector<Case>{
           {"perplexity --chunks 1", {"wikitext-2-raw/wiki.test.raw not found", "pass -f FILE", "SKIM_DATA"}},
           {"eval --task lambada", {"lambada_openai/lambada_test.jsonl not found", "--data-dir", "SKIM_DATA"}},
           {"eval --task arc_easy --data-dir " + empty_data_dir(), {"arc_easy/arc_easy.jsonl not found in", "--data-dir"}},
           {"sweep --levels 0.5", {"wikitext-2-raw/wiki.test.raw not found", "--data-dir", "SKIM_DATA"}},
       }) {
    auto r = run_command(no_data() + skim() + " " + c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_TRUE(r.out.empty()) << c.args << ": " << r.out;
    for (const auto& s : c.says) EXPECT_NE(r.err.find(s), std::string::npos) << c.args << " should say " << s << ": " << r.err;
    EXPECT_EQ(r.err.find("\n"), r.err.size() - 1) << c.args << ": one line: " << r.err;
  }
  // The sweep's corpus is named too once its evaluation data is there.
  const std::string dir = testing::fresh_temp_path("sweepdata");
  for (const char* rel : {"wikitext-2-raw/wiki.test.raw", "lambada_openai/lambada_test.jsonl", "arc_easy/arc_easy.jsonl",
                          "winogrande/winogrande.jsonl"}) {
    fs::create_directories((fs::path(dir) / rel).parent_path());
    std::ofstream(fs::path(dir) / rel) << "x\n";
  }
  auto r = run_command(skim() + " sweep --levels 0.5 --data-dir " + dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no calibration text in " + dir + "/calibration"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--calibration self"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(DataLookup, DataSelfTakesNoFiles) {
  auto r = run_command(skim() + " calibrate --method teal --data self /etc/hostname -o " + testing::fresh_temp_path("x.skim"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--data self takes no files beside it"), std::string::npos) << r.err;
}

// No data anywhere: `skim calibrate` says it calibrates on self-generated text and writes a
// sidecar the engine runs with about the requested sparsity; `--data self` with the same
// seed makes the same sidecar, byte for byte.
TEST(CalibrateSelf, WithoutAnyDataWritesAWorkingSidecar) {
  ASSERT_TRUE(testing::have_default_model()) << "run `skim pull` first";
  const std::string dir = testing::fresh_temp_path("selfcal");
  fs::create_directories(dir);
  auto a = run_command(no_data() + skim() + " calibrate --method teal --sparsity 0.4 --tokens 1024 -t 1 --json -o " + dir +
                       "/a.skim");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.err.find("calibrating on text the model generates itself"), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("generate calibration text"), std::string::npos) << "a progress bar: " << a.err;
  EXPECT_NE(a.err.find("on 1024 tokens of self-generated text"), std::string::npos) << a.err;
  auto j = nlohmann::json::parse(a.out);
  EXPECT_EQ(j["calibration"], "self");
  EXPECT_EQ(j["tokens"], 1024);
  auto b = run_command(skim() + " calibrate --method teal --sparsity 0.4 --tokens 1024 -t 2 --data self --no-progress -o " +
                       dir + "/b.skim");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(testing::slurp(dir + "/a.skim"), testing::slurp(dir + "/b.skim")) << "same seed, same text, any threads";
  auto c = run_command(skim() + " calibrate --method teal --sparsity 0.4 --tokens 1024 -t 1 --data self --seed 2 "
                                "--no-progress -o " + dir + "/c.skim");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(testing::slurp(dir + "/a.skim"), testing::slurp(dir + "/c.skim")) << "another seed, other text";

  auto run = run_command(skim() + " run -t 1 -n 24 --temp 0 --sparsity " + dir +
                         "/a.skim -p \"The history of the printing press\"");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const size_t at = run.err.find("measured sparsity");
  ASSERT_NE(at, std::string::npos) << run.err;
  const double measured = std::atof(run.err.c_str() + run.err.find_first_of("0123456789", at));
  EXPECT_GT(measured, 25.0) << run.err;
  EXPECT_LT(measured, 55.0) << run.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace skim
