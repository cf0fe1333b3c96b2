// server.h — `skim serve`: an OpenAI-compatible HTTP server over one Engine.
//
// Endpoints: POST /v1/chat/completions, POST /v1/completions (streaming as server-sent
// events ending with "data: [DONE]"), GET /v1/models, GET /health, GET /metrics
// (Prometheus), GET / (a chat page). Generation runs on a continuous-batching scheduler
// with `parallel` slots of `ctx_size` positions each and a bounded wait queue (503 when
// full). Errors use OpenAI's shape {"error": {"message", "type", "param", "code"}}.
//
// Lifecycle: start() binds and serves on background threads and returns once listening;
// shutdown() (from any thread, e.g. a SIGTERM watcher) refuses new generation requests
// with 503, lets queued and running ones finish (up to drain_timeout_s), then closes the
// listener; wait() blocks until then. The Engine must outlive the Server. start() sets
// SIGPIPE to ignored for the process: a client that disconnects must never kill it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "skim/engine.h"
#include "skim/result.h"

namespace skim {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                   // 0: any free port (see Server::port())
  int32_t parallel = 4;              // slots decoded together
  int32_t ctx_size = 2048;           // positions per slot; 0: the engine's context
  int32_t max_queue = 64;            // requests waiting for a slot before 503
  int32_t prompt_chunk = 128;        // prompt tokens per scheduler step
  std::string api_key;               // non-empty: require "Authorization: Bearer <key>"
  size_t max_body_bytes = 8u << 20;  // larger request bodies get 413
  std::string model_id;              // id in /v1/models and responses; empty: file stem
  int32_t drain_timeout_s = 60;      // shutdown(): how long in-flight requests may run
  bool log_requests = true;          // one line per request on stderr
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(const Engine& engine, const ServerOptions& options);
  ~Server();  // shutdown without draining, then wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  const std::string& model_id() const;
  void shutdown();  // drain, then stop; idempotent
  void wait();      // until stopped

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skim
