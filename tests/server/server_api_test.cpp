// server_api_test.cpp — the HTTP API of an in-process server on a loopback port: every
// endpoint, the OpenAI response and stream shapes, usage, logprobs, auth, metrics, the
// bounded queue (503), cancellation on disconnect (streaming or not), continuous batching (concurrent greedy
// requests equal sequential ones) and prompt chunks interleaved with decoding.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "server_fixture.h"

namespace skim {
namespace {

using namespace testing;  // NOLINT
using std::chrono::steady_clock;

json chat_body(const std::string& content, int max_tokens) {
  return {{"messages", {{{"role", "user"}, {"content", content}}}}, {"max_tokens", max_tokens}, {"temperature", 0}};
}

void expect_error_shape(const HttpResponse& r, int status) {
  EXPECT_EQ(r.status, status) << r.body;
  json j = parse_json(r.body);
  ASSERT_TRUE(j.contains("error")) << r.body;
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_TRUE(j["error"]["type"].is_string());
  EXPECT_TRUE(j["error"].contains("param"));
  EXPECT_TRUE(j["error"].contains("code"));
}

TEST(ServerApi, HealthModelsPageAndMetrics) {
  auto srv = start_server();
  ASSERT_TRUE(srv);
  const int port = srv->port();
  auto h = http(port, "GET", "/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(parse_json(h.body)["status"], "ok");
  EXPECT_EQ(http(port, "GET", "/v1/health").status, 200);

  auto m = http(port, "GET", "/v1/models");
  ASSERT_EQ(m.status, 200);
  json models = parse_json(m.body);
  EXPECT_EQ(models["object"], "list");
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], srv->model_id());
  EXPECT_EQ(models["data"][0]["object"], "model");
  EXPECT_EQ(models["data"][0]["meta"]["n_ctx_slot"], 512);
  EXPECT_EQ(http(port, "GET", "/v1/models/" + srv->model_id()).status, 200);
  expect_error_shape(http(port, "GET", "/v1/models/gpt-17"), 404);

  auto page = http(port, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.headers["content-type"].find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("<title>skim chat</title>"), std::string::npos);
  EXPECT_NE(page.body.find("/v1/chat/completions"), std::string::npos);

  auto metrics = http(port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.headers["content-type"].find("text/plain"), std::string::npos);
  EXPECT_EQ(metric_value(metrics.body, "skim_slots_total"), 2);
  EXPECT_EQ(metric_value(metrics.body, "skim_queue_depth"), 0);
  EXPECT_NE(metrics.body.find("# TYPE skim_generated_tokens_total counter"), std::string::npos);
  EXPECT_NE(metrics.body.find("skim_requests_total{endpoint=\"/health\",status=\"200\"} 2"), std::string::npos)
      << metrics.body;
}

TEST(ServerApi, APortInUseIsAnErrorNotASharedPort) {
  auto first = start_server();
  ASSERT_TRUE(first);
  auto o = test_options();
  o.port = first->port();
  auto second = Server::start(test_engine(), o);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot bind"), std::string::npos) << second.error().message;
  EXPECT_EQ(http(first->port(), "GET", "/health").status, 200);
}

TEST(ServerApi, ChatCompletionAndItsStreamAgree) {
  auto srv = start_server();
  ASSERT_TRUE(srv);
  const json body = chat_body("Name a color.", 8);
  auto r = post_json(srv->port(), "/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers["content-type"].find("application/json"), std::string::npos);
  json j = parse_json(r.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(j["model"], srv->model_id());
  ASSERT_EQ(j["choices"].size(), 1u);
  const json& c = j["choices"][0];
  EXPECT_EQ(c["index"], 0);
  EXPECT_EQ(c["message"]["role"], "assistant");
  const std::string text = c["message"]["content"];
  EXPECT_FALSE(text.empty());
  EXPECT_TRUE(c["finish_reason"] == "stop" || c["finish_reason"] == "length");
  EXPECT_TRUE(c["logprobs"].is_null());
  const json& u = j["usage"];
  EXPECT_GT(u["prompt_tokens"].get<int>(), 5);
  EXPECT_GE(u["completion_tokens"].get<int>(), 1);
  EXPECT_LE(u["completion_tokens"].get<int>(), 8);
  EXPECT_EQ(u["total_tokens"].get<int>(), u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());

  json sbody = body;
  sbody["stream_options"] = {{"include_usage", true}};
  auto s = post_stream(srv->port(), "/v1/chat/completions", sbody);
  EXPECT_EQ(s.head.status, 200);
  EXPECT_NE(s.head.headers["content-type"].find("text/event-stream"), std::string::npos);
  EXPECT_TRUE(s.done) << "the stream must end with data: [DONE]";
  ASSERT_GE(s.events.size(), 3u);
  EXPECT_EQ(s.events.front()["object"], "chat.completion.chunk");
  EXPECT_EQ(s.events.front()["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(stream_text(s), text);  // greedy: the same text either way
  const json& fin = s.events[s.events.size() - 2];
  EXPECT_EQ(fin["choices"][0]["finish_reason"], c["finish_reason"]);
  EXPECT_TRUE(fin["choices"][0]["delta"].empty());
  const json& usage = s.events.back();
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"], u);
  for (size_t i = 0; i + 1 < s.events.size(); ++i) EXPECT_TRUE(s.events[i]["usage"].is_null());
}

TEST(ServerApi, CompletionsPlainStreamedAndStopped) {
  auto srv = start_server();
  ASSERT_TRUE(srv);
  const json body = {{"prompt", "The three primary colors are"}, {"max_tokens", 10}, {"temperature", 0}};
  auto r = post_json(srv->port(), "/v1/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = parse_json(r.body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  const std::string text = j["choices"][0]["text"];
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 10);

  auto s = post_stream(srv->port(), "/v1/completions", body);
  EXPECT_TRUE(s.done);
  EXPECT_EQ(stream_text(s), text);
  EXPECT_EQ(s.events.back()["choices"][0]["finish_reason"], "length");
  for (const auto& e : s.events) EXPECT_EQ(e["object"], "text_completion");

  // A stop string taken from the middle of the greedy text ends it there.
  const size_t cut = text.find(' ', 3);
  ASSERT_NE(cut, std::string::npos) << text;
  const std::string stop = text.substr(cut, 3);
  json sb = body;
  sb["stop"] = stop;
  json st = parse_json(post_json(srv->port(), "/v1/completions", sb).body);
  EXPECT_EQ(st["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(st["choices"][0]["text"], text.substr(0, text.find(stop)));

  // Token-id prompts work like text prompts.
  json tb = body;
  tb["prompt"] = test_engine().tokenize("The three primary colors are", true, true);
  EXPECT_EQ(parse_json(post_json(srv->port(), "/v1/completions", tb).body)["choices"][0]["text"], text);
}

TEST(ServerApi, Logprobs) {
  auto srv = start_server();
  ASSERT_TRUE(srv);
  json body = chat_body("Say yes.", 4);
  body["logprobs"] = true;
  body["top_logprobs"] = 2;
  json j = parse_json(post_json(srv->port(), "/v1/chat/completions", body).body);
  const json& content = j["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), j["usage"]["completion_tokens"].get<size_t>()) << j.dump();
  std::string joined;
  for (const auto& t : content) {
    EXPECT_LE(t["logprob"].get<double>(), 0.0);
    ASSERT_EQ(t["top_logprobs"].size(), 2u);
    EXPECT_EQ(t["top_logprobs"][0]["token"], t["token"]);  // greedy
    EXPECT_TRUE(t["bytes"].is_array());
    joined += t["token"].get<std::string>();
  }
  EXPECT_EQ(joined, j["choices"][0]["message"]["content"]);

  json cb = {{"prompt", "1, 2, 3,"}, {"max_tokens", 3}, {"temperature", 0}, {"logprobs", 2}};
  json c = parse_json(post_json(srv->port(), "/v1/completions", cb).body);
  const json& lp = c["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 3u) << c.dump();
  EXPECT_EQ(lp["token_logprobs"].size(), 3u);
  EXPECT_EQ(lp["top_logprobs"][0].size(), 2u);
  EXPECT_EQ(lp["text_offset"][0], 0);
}

TEST(ServerApi, SeededSamplingIsReproducible) {
  auto srv = start_server();
  ASSERT_TRUE(srv);
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 8}, {"temperature", 1.0}, {"seed", 7}};
  auto a = parse_json(post_json(srv->port(), "/v1/completions", body).body);
  auto b = parse_json(post_json(srv->port(), "/v1/completions", body).body);
  EXPECT_EQ(a["choices"][0]["text"], b["choices"][0]["text"]);
}

TEST(ServerApi, BearerAuth) {
  auto o = test_options();
  o.api_key = "sekret-123";
  auto srv = start_server(o);
  ASSERT_TRUE(srv);
  const int port = srv->port();
  const json body = chat_body("Hi", 1);
  auto none = post_json(port, "/v1/chat/completions", body);
  expect_error_shape(none, 401);
  EXPECT_EQ(parse_json(none.body)["error"]["code"], "invalid_api_key");
  expect_error_shape(post_json(port, "/v1/chat/completions", body, {"Authorization: Bearer wrong"}), 401);
  expect_error_shape(post_json(port, "/v1/chat/completions", body, {"Authorization: Basic c2VrcmV0LTEyMw=="}), 401);
  expect_error_shape(http(port, "GET", "/v1/models"), 401);
  expect_error_shape(http(port, "GET", "/metrics"), 401);
  EXPECT_EQ(post_json(port, "/v1/chat/completions", body, {"Authorization: Bearer sekret-123"}).status, 200);
  EXPECT_EQ(http(port, "GET", "/v1/models", "", {"Authorization: Bearer sekret-123"}).status, 200);
  EXPECT_EQ(http(port, "GET", "/health").status, 200);  // public: load balancers
  EXPECT_EQ(http(port, "GET", "/").status, 200);        // the page asks for the key itself
}

// Opens a stream and returns once its first content event has arrived.
std::unique_ptr<HttpConnection> open_stream(int port, json body) {
  body["stream"] = true;
  auto c = std::make_unique<HttpConnection>(port);
  EXPECT_TRUE(c->send_all(make_request("POST", "/v1/completions", body.dump())));
  HttpResponse head;
  EXPECT_TRUE(c->read_head(head));
  EXPECT_EQ(head.status, 200);
  auto ev = c->next_event();
  EXPECT_TRUE(ev.has_value());
  return c;
}

TEST(ServerApi, FullQueueAnswers503AndRecovers) {
  auto o = test_options();
  o.parallel = 1;
  o.max_queue = 0;
  auto srv = start_server(o);
  ASSERT_TRUE(srv);
  const int port = srv->port();
  json body = {{"prompt", "Count: 1, 2, 3,"}, {"max_tokens", 12}, {"temperature", 0}, {"ignore_eos", true}};
  auto busy = open_stream(port, body);
  auto r = post_json(port, "/v1/completions", {{"prompt", "Hi"}, {"max_tokens", 1}});
  expect_error_shape(r, 503);
  EXPECT_EQ(r.headers["retry-after"], "1");
  while (busy->next_event()) {
  }
  busy.reset();
  EXPECT_EQ(post_json(port, "/v1/completions", {{"prompt", "Hi"}, {"max_tokens", 1}}).status, 200);
  EXPECT_GE(metric_value(http(port, "GET", "/metrics").body, "skim_requests_rejected_total"), 1);
}

TEST(ServerApi, ClientDisconnectCancelsTheGeneration) {
  auto o = test_options();
  o.parallel = 1;
  auto srv = start_server(o);
  ASSERT_TRUE(srv);
  const int port = srv->port();
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 400}, {"temperature", 0}, {"ignore_eos", true}};
  auto c = open_stream(port, body);
  c->abort();
  double cancelled = 0, busy = 1, in_flight = 1;
  for (int i = 0; i < 300 && (cancelled < 1 || busy != 0 || in_flight != 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string m = http(port, "GET", "/metrics").body;
    cancelled = metric_value(m, "skim_requests_cancelled_total");
    busy = metric_value(m, "skim_slots_busy");
    in_flight = metric_value(m, "skim_requests_processing");
  }
  EXPECT_EQ(cancelled, 1);
  EXPECT_EQ(busy, 0);
  EXPECT_EQ(in_flight, 0);
  const std::string m = http(port, "GET", "/metrics").body;
  EXPECT_LT(metric_value(m, "skim_generated_tokens_total"), 100);  // stopped long before 400
  EXPECT_EQ(post_json(port, "/v1/completions", {{"prompt", "Hi"}, {"max_tokens", 1}}).status, 200);
}

TEST(ServerApi, ClientDisconnectCancelsANonStreamingRequest) {
  auto o = test_options();
  o.parallel = 1;
  auto srv = start_server(o);
  ASSERT_TRUE(srv);
  const int port = srv->port();
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 400}, {"temperature", 0}, {"ignore_eos", true}};
  auto c = std::make_unique<HttpConnection>(port);
  ASSERT_TRUE(c->send_all(make_request("POST", "/v1/completions", body.dump())));
  for (int i = 0; i < 300 && metric_value(http(port, "GET", "/metrics").body, "skim_slots_busy") != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  c->abort();
  double cancelled = 0, busy = 1;
  for (int i = 0; i < 300 && (cancelled < 1 || busy != 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string m = http(port, "GET", "/metrics").body;
    cancelled = metric_value(m, "skim_requests_cancelled_total");
    busy = metric_value(m, "skim_slots_busy");
  }
  EXPECT_EQ(cancelled, 1);
  EXPECT_EQ(busy, 0);
  EXPECT_LT(metric_value(http(port, "GET", "/metrics").body, "skim_generated_tokens_total"), 200);
}

TEST(ServerApi, ConcurrentGreedyRequestsEqualSequentialOnes) {
  auto o = test_options();
  o.parallel = 3;
  auto srv = start_server(o);
  ASSERT_TRUE(srv);
  const int port = srv->port();
  const std::vector<std::string> prompts = {"The capital of France is", "def add(a, b):", "Roses are red,"};
  auto run = [&](const std::string& p) {
    json j = parse_json(post_json(port, "/v1/completions", {{"prompt", p}, {"max_tokens", 8}, {"temperature", 0}}).body);
    return j["choices"][0]["text"].get<std::string>();
  };
  std::vector<std::string> sequential;
  for (const auto& p : prompts) sequential.push_back(run(p));
  std::vector<std::future<std::string>> futures;
  for (const auto& p : prompts) futures.push_back(std::async(std::launch::async, run, p));
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(futures[i].get(), sequential[i]) << prompts[i];
  const std::string m = http(port, "GET", "/metrics").body;
  // Some decode steps carried more than one sequence.
  EXPECT_GT(metric_value(m, "skim_decode_batch_size_avg"), 1.0) << m;
}

TEST(ServerApi, LongPromptDoesNotStallARunningStream) {
  auto o = test_options();
  o.parallel = 2;
  o.prompt_chunk = 8;
  auto srv = start_server(o);
  ASSERT_TRUE(srv);
  const int port = srv->port();
  // B's prompt takes more chunks than A has tokens left, so interleaved steps finish A first;
  // a scheduler that read B's whole prompt before decoding again would finish B's prompt first.
  std::string long_prompt;
  for (int i = 0; i < 22; ++i) long_prompt += "The quick brown fox jumps over the lazy dog. ";
  const size_t n_long = test_engine().tokenize(long_prompt, true, true).size();
  const int a_tokens = 12;
  ASSERT_GT(n_long / 8, static_cast<size_t>(a_tokens) + 6);
  ASSERT_LT(n_long, 500u);
  json a = {{"prompt", "Count: 1, 2, 3,"}, {"max_tokens", a_tokens}, {"temperature", 0}, {"ignore_eos", true}};
  auto sa = open_stream(port, a);  // A is decoding
  std::atomic<int64_t> b_first_ns{0};
  std::thread tb([&] {
    json b = {{"prompt", long_prompt}, {"max_tokens", 1}, {"temperature", 0}, {"stream", true}};
    HttpConnection c(port);
    c.send_all(make_request("POST", "/v1/completions", b.dump()));
    HttpResponse head;
    c.read_head(head);
    if (c.next_event()) b_first_ns = steady_clock::now().time_since_epoch().count();
    while (c.next_event()) {
    }
  });
  while (sa->next_event()) {
  }
  const int64_t a_done_ns = steady_clock::now().time_since_epoch().count();
  tb.join();
  ASSERT_GT(b_first_ns.load(), 0);
  EXPECT_LT(a_done_ns, b_first_ns.load()) << "A's stream stalled behind B's prompt";
  const std::string m = http(port, "GET", "/metrics").body;
  EXPECT_GE(metric_value(m, "skim_prompt_tokens_total"), static_cast<double>(n_long));
}

}  // namespace
}  // namespace skim
