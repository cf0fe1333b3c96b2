// server.cpp — skim::Server (include/skim/server.h): the HTTP layer over cpp-httplib.
//
// Threads: httplib's pool answers connections (sized so that every slot and every queued
// request can hold one, plus a few for /health and /metrics); the Scheduler thread runs
// the model. A generation handler validates and tokenizes on its HTTP thread, submits a
// Job, then either waits for the whole result or streams server-sent events from it.
// A stream's writer wakes at least once a second; with no news it writes an SSE comment,
// so a client that has gone away is noticed (the write fails) even while its request is
// queued or its prompt is being processed, and its Job is cancelled. A non-streaming
// handler polls its connection (ConnectionProbe) while it waits, to the same end.
//
// Invariants: every response with status >= 400 carries an OpenAI-shaped JSON error (the
// error handler fills bodies httplib left empty: 404, 413, 400 on broken HTTP); an
// exception escaping a handler becomes a 500, never a crash; requests_in_flight counts
// generation requests from submit until their response is fully written or abandoned.
#include "skim/server.h"

#include <fmt/core.h>
#include <httplib.h>
#include <sys/socket.h>

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
#include "server/connection_probe.h"
#include "server/job.h"
#include "server/metrics.h"
#include "server/openai_request.h"
#include "server/openai_response.h"
#include "server/scheduler.h"
#include "skim/generation.h"

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
  server::ApiResult<std::vector<int32_t>> build_prompt(const server::Request& rq) const;
  json model_json() const;
  void stop(std::chrono::milliseconds drain);
};

bool Server::Impl::authorized(const httplib::Request& req, httplib::Response& res) const {
  if (opt.api_key.empty()) return true;
  if (req.method == "OPTIONS" || req.path == "/" || req.path == "/health" || req.path == "/v1/health") return true;
  const std::string h = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (h.empty()) {
    send_error(res, ApiError{401, "Missing API key: send 'Authorization: Bearer <key>'.", "authentication_error", {},
                             "invalid_api_key"});
    return false;
  }
  if (h.rfind(prefix, 0) != 0 || !constant_time_equal(h.substr(prefix.size()), opt.api_key)) {
    send_error(res, ApiError{401, "Incorrect API key provided.", "authentication_error", {}, "invalid_api_key"});
    return false;
  }
  return true;
}

json Server::Impl::model_json() const {
  const ModelInfo& mi = engine.info();
  return {{"id", model_id},
          {"object", "model"},
          {"created", created},
          {"owned_by", "skim"},
          {"meta",
           {{"arch", mi.arch},
            {"name", mi.name},
            {"n_vocab", mi.n_vocab},
            {"n_ctx_train", mi.n_ctx_train},
            {"n_ctx_slot", scheduler->slot_ctx()},
            {"n_slots", scheduler->n_slots()},
            {"n_embd", mi.n_embd},
            {"n_layer", mi.n_layer},
            {"size", mi.file_bytes}}}};
}

server::ApiResult<std::vector<int32_t>> Server::Impl::build_prompt(const server::Request& rq) const {
  std::vector<int32_t> prompt;
  if (rq.endpoint == Endpoint::kChat) {
    auto text = engine.apply_chat_template(rq.messages, /*add_generation_prompt=*/true);
    if (!text) return server::invalid_request("cannot apply the chat template: " + text.error().message, "messages");
    prompt = engine.tokenize(*text, /*add_special=*/true, /*parse_special=*/true);
  } else if (rq.prompt_is_tokens) {
    const int32_t n_vocab = engine.info().n_vocab;
    for (int32_t t : rq.prompt_tokens) {
      if (t >= n_vocab) {
        return server::invalid_request(fmt::format("token id {} is out of range (the vocabulary has {} tokens)", t, n_vocab),
                                       "prompt");
      }
    }
    prompt = rq.prompt_tokens;
  } else {
    prompt = engine.tokenize(rq.prompt, /*add_special=*/true, /*parse_special=*/true);
  }
  const char* param = rq.endpoint == Endpoint::kChat ? "messages" : "prompt";
  if (prompt.empty()) return server::invalid_request("the prompt is empty", param);
  const int32_t ctx = scheduler->slot_ctx();
  if (static_cast<int64_t>(prompt.size()) >= ctx) {
    return server::invalid_request(
        fmt::format("This model's maximum context length is {} tokens per request; the prompt has {} tokens. "
                    "Shorten the prompt (or start the server with a larger --ctx-size).",
                    ctx, prompt.size()),
        param, "context_length_exceeded");
  }
  return prompt;
}

// The state a streaming response's writer keeps between calls.
struct StreamState {
  std::shared_ptr<server::Job> job;
  server::ResponseBuilder builder;
  bool logprobs;
  bool include_usage;
  server::Metrics* metrics;
};

void Server::Impl::generate(const httplib::Request& req, httplib::Response& res, Endpoint ep) {
  if (draining.load()) return send_error(res, server::unavailable("the server is shutting down"));
  auto parsed = server::parse_request(ep, req.body);
  if (!parsed.ok()) return send_error(res, parsed.error());
  server::Request& rq = parsed.value();
  auto prompt = build_prompt(rq);
  if (!prompt.ok()) return send_error(res, prompt.error());
  if (!rq.has_seed) rq.gen.params.sampling.seed = random64();
  if (Status st = Generation::validate(rq.gen); !st) {
    return send_error(res, server::invalid_request(st.error().message));
  }
  const bool want_logprobs = rq.gen.logprobs || rq.gen.top_logprobs > 0;

  auto job = std::make_shared<server::Job>(std::move(prompt.value()), rq.gen);
  switch (scheduler->submit(job)) {
    case server::Scheduler::Admit::kOk: break;
    case server::Scheduler::Admit::kQueueFull:
      metrics.rejected_total.fetch_add(1);
      res.set_header("Retry-After", "1");
      return send_error(res, server::unavailable(fmt::format(
                                 "the server is busy ({} slots busy, {} requests queued); retry later",
                                 scheduler->n_slots(), scheduler->max_queue())));
    case server::Scheduler::Admit::kStopping:
      metrics.rejected_total.fetch_add(1);
      return send_error(res, server::unavailable("the server is shutting down"));
  }
  metrics.requests_in_flight.fetch_add(1);
  server::ResponseBuilder builder(engine, ep, model_id, new_id(ep), static_cast<int64_t>(std::time(nullptr)),
                                  kFingerprint);

  if (!rq.stream) {
    const server::ConnectionProbe probe(req.local_port, req.remote_addr, req.remote_port);
    std::string text;
    std::vector<server::LogprobEntry> logprobs;
    server::Delta d;
    do {
      d = job->take(500ms);
      text += d.text;
      for (auto& e : d.logprobs) logprobs.push_back(std::move(e));
      if (!d.finished && probe.peer_closed()) job->cancel();  // it then ends with an error
    } while (!d.finished);
    metrics.requests_in_flight.fetch_sub(1);
    if (d.error) return send_error(res, *d.error);
    return send_json(res, builder.complete(text, logprobs, d.finish_reason, d.usage, want_logprobs));
  }

  auto st = std::make_shared<StreamState>(StreamState{job, std::move(builder), want_logprobs, rq.include_usage, &metrics});
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [st](size_t /*offset*/, httplib::DataSink& sink) {
        server::Delta d = st->job->take(1000ms);
        std::string out;
        if (d.empty()) {
          out = ": keep-alive\n\n";  // an SSE comment: detects clients that went away
        } else if (d.error) {
          out = server::sse_event(d.error->to_json());
        } else {
          out = st->builder.stream_events(d, st->logprobs, st->include_usage);
        }
        if (d.finished) out += server::kSseDone;
        if (!out.empty() && !sink.write(out.data(), out.size())) {
          st->job->cancel();
          return false;
        }
        if (d.finished) sink.done();
        return true;
      },
      [st](bool success) {
        if (!success) st->job->cancel();
        st->metrics->requests_in_flight.fetch_sub(1);
      });
}

void Server::Impl::routes() {
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return authorized(req, res) ? httplib::Server::HandlerResponse::Unhandled : httplib::Server::HandlerResponse::Handled;
  });
  http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ApiError e;
    e.status = res.status;
    switch (res.status) {
      case 404: e.message = fmt::format("Invalid URL ({} {})", req.method, req.path); e.code = "not_found"; break;
      case 413:
        e.message = fmt::format("the request body is larger than {} bytes", opt.max_body_bytes);
        e.code = "request_too_large";
        break;
      case 414: e.message = "the request URI is too long"; break;
      case 400: e.message = "malformed HTTP request"; break;
      default:
        e.message = fmt::format("HTTP error {}", res.status);
        if (res.status >= 500) e.type = "server_error";
    }
    send_error(res, e);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
    send_error(res, server::internal_error("internal error: " + what));
  });
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    metrics.count_request(endpoint_label(req.path), res.status);
    if (opt.log_requests) {
      fmt::print(stderr, "serve: {}:{} {} {} {}\n", req.remote_addr, req.remote_port, req.method, req.path, res.status);
    }
  });
  http.set_default_headers({{"Access-Control-Allow-Origin", "*"}});
  http.Options(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
  });

  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(server::chat_page_html()), "text/html; charset=utf-8");
  });
  auto health = [this](const httplib::Request&, httplib::Response& res) {
    if (draining.load()) {
      return send_json(res, {{"status", "shutting down"}, {"error", server::unavailable("shutting down").to_json()["error"]}},
                       503);
    }
    const int64_t busy = metrics.slots_busy.load();
    send_json(res, {{"status", "ok"},
                    {"slots_idle", scheduler->n_slots() - busy},
                    {"slots_processing", busy},
                    {"queue_depth", metrics.queue_depth.load()}});
  };
  http.Get("/health", health);
  http.Get("/v1/health", health);
  auto models = [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"object", "list"}, {"data", json::array({model_json()})}});
  };
  http.Get("/v1/models", models);
  http.Get("/models", models);
  http.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] == model_id) return send_json(res, model_json());
    send_error(res, ApiError{404, fmt::format("The model '{}' does not exist", req.matches[1].str()),
                             "invalid_request_error", "model", "model_not_found"});
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(scheduler->n_slots(), scheduler->max_queue()), "text/plain; version=0.0.4");
  });
  auto chat = [this](const httplib::Request& req, httplib::Response& res) { generate(req, res, Endpoint::kChat); };
  auto completions = [this](const httplib::Request& req, httplib::Response& res) {
    generate(req, res, Endpoint::kCompletion);
  };
  http.Post("/v1/chat/completions", chat);
  http.Post("/chat/completions", chat);
  http.Post("/v1/completions", completions);
  http.Post("/completions", completions);

  // Known paths with the wrong method: 405 rather than 404.
  auto not_allowed = [](const char* allow) {
    return [allow](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allow);
      send_error(res, ApiError{405, fmt::format("Method {} is not allowed on {} (use {})", req.method, req.path, allow),
                               "invalid_request_error", {}, "method_not_allowed"});
    };
  };
  for (const char* p : {"/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions"}) {
    http.Get(p, not_allowed("POST"));
    http.Put(p, not_allowed("POST"));
    http.Patch(p, not_allowed("POST"));
    http.Delete(p, not_allowed("POST"));
  }
  for (const char* p : {"/", "/health", "/v1/health", "/v1/models", "/models", "/metrics"}) {
    http.Post(p, not_allowed("GET"));
    http.Put(p, not_allowed("GET"));
    http.Patch(p, not_allowed("GET"));
    http.Delete(p, not_allowed("GET"));
  }
}

void Server::Impl::stop(std::chrono::milliseconds drain) {
  {
    std::unique_lock<std::mutex> lk(state_mu);
    if (shutdown_started) {
      state_cv.wait(lk, [&] { return stopped; });
      return;
    }
    shutdown_started = true;
  }
  draining.store(true);
  scheduler->drain();
  if (drain.count() > 0) {
    fmt::print(stderr, "serve: draining {} in-flight request(s)\n", metrics.requests_in_flight.load());
    if (!scheduler->wait_idle(drain)) fmt::print(stderr, "serve: drain timeout; cancelling what is left\n");
  }
  scheduler->stop();  // fails anything still queued or running
  // Let the HTTP threads write the final events of what the scheduler finished.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (metrics.requests_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  http.stop();
  if (listener.joinable()) listener.join();
  std::lock_guard<std::mutex> lk(state_mu);
  stopped = true;
  state_cv.notify_all();
}

Result<std::unique_ptr<Server>> Server::start(const Engine& engine, const ServerOptions& options) {
  if (options.parallel < 1 || options.parallel > 256) {
    return make_error(fmt::format("--parallel must be between 1 and 256, got {}", options.parallel));
  }
  if (options.ctx_size < 0) return make_error(fmt::format("invalid --ctx-size {}", options.ctx_size));
  if (options.max_queue < 0 || options.max_queue > 4096) {
    return make_error(fmt::format("--queue-size must be between 0 and 4096, got {}", options.max_queue));
  }
  if (options.prompt_chunk < 1) return make_error("the prompt chunk must be at least 1 token");
  if (options.port < 0 || options.port > 65535) return make_error(fmt::format("invalid port {}", options.port));
  std::signal(SIGPIPE, SIG_IGN);  // a vanished client must surface as a write error, not kill us

  auto impl = std::make_unique<Impl>(engine, options);
  impl->model_id = options.model_id.empty() ? std::filesystem::path(engine.info().path).stem().string() : options.model_id;
  server::SchedulerOptions so;
  so.n_slots = options.parallel;
  so.n_ctx = options.ctx_size;
  so.max_queue = options.max_queue;
  so.prompt_chunk = options.prompt_chunk;
  impl->scheduler = std::make_unique<server::Scheduler>(engine, so, impl->metrics);

  const size_t n_threads = static_cast<size_t>(options.parallel + options.max_queue + 8);
  impl->http.new_task_queue = [n_threads] { return new httplib::ThreadPool(n_threads); };
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second server
  // silently share the port with this one instead of failing to bind.
  impl->http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  impl->http.set_payload_max_length(options.max_body_bytes);
  impl->http.set_read_timeout(30, 0);
  impl->http.set_write_timeout(30, 0);
  impl->routes();

  if (options.port == 0) {
    impl->port = impl->http.bind_to_any_port(options.host);
    if (impl->port <= 0) return make_error(fmt::format("cannot bind to {} (any port)", options.host));
  } else {
    if (!impl->http.bind_to_port(options.host, options.port)) {
      return make_error(fmt::format("cannot bind to {}:{} (in use, or not a local address?)", options.host, options.port));
    }
    impl->port = options.port;
  }
  Impl* raw = impl.get();
  impl->listener = std::thread([raw] { raw->http.listen_after_bind(); });
  // Return only once the accept loop runs: stop() before that point would not reach it.
  for (int i = 0; i < 5000 && !impl->http.is_running(); ++i) std::this_thread::sleep_for(1ms);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  if (impl_) impl_->stop(0ms);
}

int Server::port() const { return impl_->port; }
const std::string& Server::model_id() const { return impl_->model_id; }
void Server::shutdown() { impl_->stop(std::chrono::milliseconds(int64_t{impl_->opt.drain_timeout_s} * 1000)); }

void Server::wait() {
  std::unique_lock<std::mutex> lk(impl_->state_mu);
  impl_->state_cv.wait(lk, [&] { return impl_->stopped; });
}

}  // namespace skim
