// serve_command_test.cpp — `skim serve` as a process: greedy output through the API equals
// `skim run --temp 0` (dense, and with a sparsity sidecar: the same sparse decode as
// `skim run --sparsity`), SIGTERM drains an in-flight stream and exits 0, the official `openai` Python client works against it
// (scripts/openai_client_test.py), and the chat page produces a reply in headless
// Chromium (scripts/chat_page_test.py over the DevTools protocol; the screenshot is kept as
// <build>/server_chat_page.png). The Python and Chromium tests
// skip, saying why, only where `import openai` fails or no Chromium is installed.
#include <gtest/gtest.h>

#include "common/run_command.h"
#include "server_fixture.h"

namespace skim {
namespace {

using namespace testing;  // NOLINT

TEST(ServeCommand, HelpAndBadSidecar) {
  auto r = run_command(skim_binary() + " serve --sparsity /nonexistent/whatever.skim --port 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("whatever.skim"), std::string::npos) << r.err;
  auto h = run_command(skim_binary() + " serve --help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--parallel"), std::string::npos);
  EXPECT_NE(h.out.find("--api-key"), std::string::npos);
}

// A TEAL sidecar (tiny calibration: this tests plumbing, not quality): one request at a
// time decodes on the sparse kernels exactly as `skim run --sparsity` does.
TEST(ServeCommand, SparseGreedyOutputEqualsSkimRunSparse) {
  const std::string dir = ::testing::TempDir();
  const std::string sidecar = dir + "/serve_teal30.skim";
  auto cal = run_command(skim_binary() + " calibrate --method teal --sparsity 0.3 --tokens 512 -t 1 -o " + sidecar);
  ASSERT_EQ(cal.exit_code, 0) << cal.err;
  ServeProcess srv({"--parallel", "2", "--ctx-size", "512", "-q", "--sparsity", sidecar, "--numerics", "exact"});
  ASSERT_GT(srv.port(), 0) << srv.log();
  const std::string prompt = "The three primary colors are";
  auto run = run_command(skim_binary() + " run -t 1 --temp 0 -n 16 --json --sparsity " + sidecar + " -p '" + prompt + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json ref = parse_json(run.out);
  json api = parse_json(
      post_json(srv.port(), "/v1/completions", {{"prompt", prompt}, {"max_tokens", 16}, {"temperature", 0}}).body);
  EXPECT_EQ(api["choices"][0]["text"], ref["text"]);
  auto dense = run_command(skim_binary() + " run -t 1 --temp 0 -n 16 --json -p '" + prompt + "'");
  ASSERT_EQ(dense.exit_code, 0) << dense.err;
  std::printf("[serve --sparsity] sparse: %s\n[serve --sparsity] dense:  %s\n", ref["text"].dump().c_str(),
              parse_json(dense.out)["text"].dump().c_str());
}

// With the same --numerics on both, the API's greedy output is `skim run`'s, in either
// numerics (both default to exact).
void check_greedy_output_equals_skim_run(const std::string& numerics) {
  ServeProcess srv({"--parallel", "2", "--ctx-size", "512", "-q", "--numerics", numerics});
  ASSERT_GT(srv.port(), 0) << srv.log();
  // Plain completion.
  const std::string prompt = "The three primary colors are";
  const std::string run_cmd = skim_binary() + " run -t 1 --temp 0 -n 16 --json --numerics " + numerics;
  auto run = run_command(run_cmd + " -p '" + prompt + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json ref = parse_json(run.out);
  json api = parse_json(
      post_json(srv.port(), "/v1/completions", {{"prompt", prompt}, {"max_tokens", 16}, {"temperature", 0}}).body);
  EXPECT_EQ(api["choices"][0]["text"], ref["text"]);
  EXPECT_EQ(api["choices"][0]["finish_reason"], ref["finish_reason"]);
  EXPECT_EQ(api["usage"]["completion_tokens"], ref["generated_tokens"]);
  EXPECT_EQ(api["usage"]["prompt_tokens"], ref["prompt_tokens"]);
  // Chat: one user message through the model's template, both ways.
  const std::string question = "What is the capital of France?";
  auto chat_run = run_command(run_cmd + " --chat -p '" + question + "'");
  ASSERT_EQ(chat_run.exit_code, 0) << chat_run.err;
  json chat_ref = parse_json(chat_run.out);
  json chat_api = parse_json(post_json(srv.port(), "/v1/chat/completions",
                                       {{"messages", {{{"role", "user"}, {"content", question}}}},
                                        {"max_tokens", 16},
                                        {"temperature", 0}})
                                 .body);
  EXPECT_EQ(chat_api["choices"][0]["message"]["content"], chat_ref["text"]);
  EXPECT_EQ(chat_api["usage"]["prompt_tokens"], chat_ref["prompt_tokens"]);
  // And streamed.
  auto s = post_stream(srv.port(), "/v1/chat/completions",
                       {{"messages", {{{"role", "user"}, {"content", question}}}}, {"max_tokens", 16}, {"temperature", 0}});
  EXPECT_TRUE(s.done);
  EXPECT_EQ(stream_text(s), chat_ref["text"].get<std::string>());
}

TEST(ServeCommand, GreedyOutputEqualsSkimRun) { check_greedy_output_equals_skim_run("exact"); }
TEST(ServeCommand, FastNumericsGreedyOutputEqualsSkimRun) { check_greedy_output_equals_skim_run("fast"); }

TEST(ServeCommand, SigtermDrainsInFlightRequests) {
  ServeProcess srv({"--parallel", "2", "--ctx-size", "256"});
  ASSERT_GT(srv.port(), 0) << srv.log();
  json body = {{"prompt", "Count: 1, 2, 3,"}, {"max_tokens", 12}, {"temperature", 0}, {"ignore_eos", true},
               {"stream", true}};
  HttpConnection c(srv.port());
  ASSERT_TRUE(c.send_all(make_request("POST", "/v1/completions", body.dump())));
  HttpResponse head;
  ASSERT_TRUE(c.read_head(head));
  ASSERT_EQ(head.status, 200);
  std::string text;
  auto first = c.next_event();
  ASSERT_TRUE(first.has_value());
  text += parse_json(*first)["choices"][0]["text"].get<std::string>();
  srv.signal(SIGTERM);
  // New work is refused while draining (503, or no connection once the listener closed).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  HttpResponse late = post_json(srv.port(), "/v1/completions", {{"prompt", "Hi"}, {"max_tokens", 1}});
  EXPECT_TRUE(late.status == 503 || late.status == 0) << late.status << " " << late.body;
  // The in-flight stream runs to its end.
  bool done = false;
  std::string finish;
  while (auto ev = c.next_event()) {
    if (*ev == "[DONE]") {
      done = true;
      continue;
    }
    json j = parse_json(*ev);
    text += j["choices"][0]["text"].get<std::string>();
    if (!j["choices"][0]["finish_reason"].is_null()) finish = j["choices"][0]["finish_reason"];
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(finish, "length");
  EXPECT_EQ(srv.wait_exit(60), 0) << srv.log();
  EXPECT_NE(srv.log().find("draining"), std::string::npos) << srv.log();
  auto ref = run_command(skim_binary() + " run -t 1 --temp 0 -n 12 --ignore-eos --json -p 'Count: 1, 2, 3,'");
  EXPECT_EQ(text, parse_json(ref.out)["text"].get<std::string>());
}

TEST(ServeCommand, OfficialOpenAIPythonClient) {
  if (run_command("python3 -c 'import openai'").exit_code != 0) {
    GTEST_SKIP() << "the `openai` Python package is not installed (scripts/setup.sh installs it: "
                    "python3 -m pip install openai)";
  }
  ServeProcess srv({"--parallel", "2", "--ctx-size", "512", "-q"});
  ASSERT_GT(srv.port(), 0) << srv.log();
  auto r = run_command("python3 " + std::string(SKIM_SOURCE_DIR) + "/scripts/openai_client_test.py --port " +
                       std::to_string(srv.port()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("all openai client checks passed"), std::string::npos) << r.out << r.err;
  std::cout << r.out;
}

TEST(ServeCommand, ChatPageInHeadlessChromium) {
  bool have_chromium = false;
  for (const char* b : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    have_chromium = have_chromium || run_command(std::string("command -v ") + b).exit_code == 0;
  }
  if (!have_chromium) {
    GTEST_SKIP() << "no Chromium found (scripts/setup.sh installs Debian's `chromium`; it could not be installed here)";
  }
  ServeProcess srv({"--parallel", "1", "--ctx-size", "512", "-q"});
  ASSERT_GT(srv.port(), 0) << srv.log();
  // The page sends a prompt by itself, streams the reply; the script checks the reply equals
  // the API's greedy one and keeps a screenshot with the build as a test artifact.
  const std::string shot = std::string(SKIM_BINARY_DIR) + "/server_chat_page.png";
  std::filesystem::remove(shot);
  auto r = run_command("timeout 300 python3 " + std::string(SKIM_SOURCE_DIR) + "/scripts/chat_page_test.py --port " +
                       std::to_string(srv.port()) + " --screenshot " + shot);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("chat page checks passed"), std::string::npos) << r.out << r.err;
  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 10000u);
  std::cout << r.out;
}

}  // namespace
}  // namespace skim
