// server.cpp — skim::Server (include/skim/server.h): the HTTP layer over cpp-httplib.
//
// Threads: httplib's pool answers connections (sized so that every slot and every queued
// request can hold one, plus a few for /health and /metrics); the Scheduler thread runs
// the model. A generation handler validates and tokenizes on its HTTP thread, submits a
// Job, then either waits for the whole result or streams server-sent events from it.
// A stream's writer wakes at least once a second; with no news it writes an SSE comment,
// so a client that has gone away is noticed (the write fails) even while its request is
// queued or its prompt is being processed, and its Job is cancelled.
//
// Invariants: every response with status >= 400 carries an OpenAI-shaped JSON error (the
// error handler fills bodies httplib left empty: 404, 413, 400 on broken HTTP); an
// exception escaping a handler becomes a 500, never a crash; requests_in_flight counts
// generation requests from submit until their response is fully written or abandoned.
#include "skim/server.h"

#include <fmt/core.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "server/api_error.h"
#include "server/chat_page.h"
#include "server/job.h"
#include "server/metrics.h"
#include "server/openai_request.h"
#include "server/openai_response.h"
#include "server/scheduler.h"

namespace skim {

using namespace std::chrono_literals;
using json = nlohmann::json;
using server::ApiError;
using server::Endpoint;

namespace {

constexpr const char* kFingerprint = "skim";
constexpr const char* kJson = "application/json; charset=utf-8";

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(server::dump_json(e.to_json()), kJson);
}

void send_json(httplib::Response& res, const json& j, int status = 200) {
  res.status = status;
  res.set_content(server::dump_json(j), kJson);
}

// A metrics label for a request path (bounded cardinality: unknown paths are "other").
std::string endpoint_label(const std::string& path) {
  for (const char* p : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/metrics"}) {
    if (path == p) return p;
  }
  if (path == "/chat/completions") return "/v1/chat/completions";
  if (path == "/completions") return "/v1/completions";
  if (path == "/models" || path.rfind("/v1/models/", 0) == 0) return "/v1/models";
  if (path == "/v1/health") return "/health";
  if (path == "/") return "/";
  return "other";
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

struct Server::Impl {
  const Engine& engine;
  ServerOptions opt;
  std::string model_id;
  int64_t created = static_cast<int64_t>(std::time(nullptr));
  server::Metrics metrics;
  std::unique_ptr<server::Scheduler> scheduler;
  httplib::Server http;
  std::thread listener;
  int port = 0;
  std::atomic<bool> draining{false};

  std::mutex rng_mu;
  std::mt19937_64 rng{std::random_device{}()};
  std::atomic<uint64_t> next_id{1};

  std::mutex state_mu;
  std::condition_variable state_cv;
  bool shutdown_started = false;
  bool stopped = false;

  Impl(const Engine& e, const ServerOptions& o) : engine(e), opt(o) {}

  uint64_t random64() {
    std::lock_guard<std::mutex> lk(rng_mu);
    return rng();
  }

  std::string new_id(Endpoint ep) {
    return fmt::format("{}-{:016x}{:08x}", ep == Endpoint::kChat ? "chatcmpl" : "cmpl", random64(),
                       static_cast<uint32_t>(next_id.fetch_add(1)));
  }

  void routes();
  bool authorized(const httplib::Request& req, httplib::Response& res) const;
  void generate(const httplib::Request& req, httplib::Response& res, Endpoint ep);
  ApiResultPrompt build_prompt(const server::Request& rq) const;
  json model_json() const;
  void stop(std::chrono::milliseconds drain);
};

}  // namespace skim
