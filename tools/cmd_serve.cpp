// cmd_serve.cpp — `skim serve`: the OpenAI-compatible HTTP server (include/skim/server.h).
// Loads the model, serves until SIGTERM or SIGINT, then drains in-flight requests and
// exits 0; a second signal exits at once. Logs go to stderr.
#include <pthread.h>

#include <csignal>
#include <future>
#include <thread>

#include "cli_common.h"
#include "skim/server.h"

namespace skim::cli {

namespace {

// Blocks SIGTERM/SIGINT in this thread (and the threads it starts later) so that a
// dedicated thread can take them with sigwait.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

void add_serve(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("serve", "OpenAI-compatible HTTP server with continuous batching and a chat page");
  struct Opts {
    ModelOptions m;
    ServerOptions s;
    std::string api_key_file;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  o->s.ctx_size = 2048;
  o->m.batch = 128;
  app->add_option("-m,--model", o->m.model, "GGUF file or known model name (default: smollm2-135m, pulled if missing)");
  app->add_option("-t,--threads", o->m.threads, "threads (default: physical cores)")->check(CLI::Range(0, 1024));
  app->add_option("--sparsity", o->m.sparsity,
                  "sparsity sidecar from `skim calibrate`: a step decoding one sequence takes the sparse kernels; "
                  "a step with several sequences or prompt tokens applies the same decisions as masks");
  app->add_option("--numerics", o->m.numerics,
                  "dense products: exact = ggml's order (llama.cpp's numbers); fast = one accumulator per output, "
                  "about 1.6x the throughput of batched steps, outputs no longer llama.cpp's bit for bit. Either "
                  "way a request's output does not depend on the other requests in a step")
      ->check(CLI::IsMember({"exact", "fast"}))
      ->capture_default_str();
  app->add_option("--host", o->s.host, "address to listen on")->capture_default_str();
  app->add_option("--port", o->s.port, "port to listen on (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  app->add_option("--parallel", o->s.parallel, "slots: sequences decoded together")->capture_default_str()->check(CLI::Range(1, 256));
  app->add_option("-c,--ctx-size", o->s.ctx_size, "context positions per slot (0: the model's training context)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("-b,--batch-size", o->m.batch, "prompt tokens per scheduler step (joining prompts are read in "
                                                 "chunks, batched with the streams' decode tokens)")
      ->capture_default_str()
      ->check(CLI::Range(1, 8192));
  app->add_option("--queue-size", o->s.max_queue, "requests that may wait for a slot; beyond that: 503")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  app->add_option("--api-key", o->s.api_key, "require 'Authorization: Bearer KEY' on /v1/* and /metrics");
  app->add_option("--api-key-file", o->api_key_file, "read the API key from a file (keeps it out of the process list)");
  app->add_option("--alias", o->s.model_id, "model id shown by /v1/models (default: the file name)");
  app->add_option("--max-body", o->s.max_body_bytes, "largest request body in bytes (larger: 413)")->capture_default_str();
  app->add_option("--drain-timeout", o->s.drain_timeout_s, "seconds in-flight requests may run after SIGTERM")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  app->add_flag("-q,--quiet", o->quiet, "no per-request log lines");
  app->callback([o, &exit_code] {
    if (!o->api_key_file.empty()) {
      auto key = read_file(o->api_key_file);
      if (!key) {
        exit_code = fail(key.error().message);
        return;
      }
      std::string k = *key;
      while (!k.empty() && (k.back() == '\n' || k.back() == '\r' || k.back() == ' ')) k.pop_back();
      if (k.empty()) {
        exit_code = fail(fmt::format("'{}' holds no API key", o->api_key_file));
        return;
      }
      o->s.api_key = k;
    }
    o->s.log_requests = !o->quiet;
    o->s.prompt_chunk = o->m.batch;
    o->m.ctx = o->s.ctx_size;
    const sigset_t stop_signals = block_stop_signals();  // before any thread starts

    auto engine = load_engine(o->m);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    const ModelInfo& mi = engine->info();
    auto server = Server::start(*engine, o->s);
    if (!server) {
      exit_code = fail(server.error().message);
      return;
    }
    Server& srv = **server;
    fmt::print(stderr, "serve: model {} ({}, {} threads, kernels {}, {} numerics, {})\n", srv.model_id(), mi.arch,
               mi.n_threads, mi.isa, mi.numerics, mi.sparsity);
    fmt::print(stderr, "serve: {} slots x {} positions, queue {}, auth {}\n", o->s.parallel, mi.n_ctx, o->s.max_queue,
               o->s.api_key.empty() ? "off" : "bearer");
    fmt::print(stderr, "serve: listening on http://{}:{}/ (chat page at /, API at /v1)\n", o->s.host, srv.port());

    // A watcher thread takes the signals; this thread drains. A second signal exits at once.
    std::promise<int> first;
    std::future<int> got = first.get_future();
    std::thread watcher([stop_signals, p = std::move(first)]() mutable {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      p.set_value(sig);
      sigwait(&stop_signals, &sig);
      fmt::print(stderr, "serve: second signal; exiting now\n");
      std::_Exit(1);
    });
    watcher.detach();
    const int sig = got.get();
    fmt::print(stderr, "serve: {} received; draining in-flight requests (send it again to exit at once)\n",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
    srv.shutdown();
    fmt::print(stderr, "serve: stopped\n");
  });
}

}  // namespace skim::cli
