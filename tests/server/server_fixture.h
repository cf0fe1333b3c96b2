// server_fixture.h — shared pieces of the server tests: the default model loaded once per
// test process, an in-process Server on a free loopback port, JSON helpers, and a
// `skim serve` subprocess (for signals and the command line) whose port is read from its
// log. Everything listens on 127.0.0.1 only.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/test_paths.h"
#include "http_client.h"
#include "skim/engine.h"
#include "skim/server.h"

namespace skim::testing {

using json = nlohmann::json;

// The default model, loaded on first use (a test process runs one test, so this is cheap).
inline const Engine& test_engine() {
  static std::unique_ptr<Engine> engine = [] {
    EngineOptions o;
    o.model_path = default_model_path();
    o.n_ctx = 2048;
    o.n_threads = 1;  // ctest runs test processes side by side on few cores: no oversubscription
    auto e = Engine::load(o);
    if (!e) {
      ADD_FAILURE() << "cannot load " << o.model_path << ": " << e.error().message;
      std::abort();
    }
    return std::make_unique<Engine>(std::move(*e));
  }();
  return *engine;
}

inline ServerOptions test_options() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.parallel = 2;
  o.ctx_size = 512;
  o.max_queue = 8;
  o.log_requests = false;
  o.drain_timeout_s = 30;
  return o;
}

inline std::unique_ptr<Server> start_server(const ServerOptions& o = test_options()) {
  auto s = Server::start(test_engine(), o);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  if (!s.ok()) return nullptr;
  return std::move(*s);
}

inline json parse_json(const std::string& s) {
  auto j = json::parse(s, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << s.substr(0, 300);
  return j;
}

inline HttpResponse post_json(int port, const std::string& path, const json& body,
                              const std::vector<std::string>& headers = {}) {
  return http(port, "POST", path, body.dump(), headers);
}

// Every event of a stream: the JSON objects, and whether "[DONE]" ended it.
struct StreamResult {
  HttpResponse head;
  std::vector<json> events;
  bool done = false;
};

inline StreamResult post_stream(int port, const std::string& path, json body) {
  body["stream"] = true;
  StreamResult r;
  HttpConnection c(port);
  if (!c.send_all(make_request("POST", path, body.dump()))) return r;
  if (!c.read_head(r.head)) return r;
  while (auto ev = c.next_event()) {
    if (*ev == "[DONE]") {
      r.done = true;
      continue;
    }
    r.events.push_back(parse_json(*ev));
  }
  return r;
}

// Concatenated chat deltas / completion texts of a stream.
inline std::string stream_text(const StreamResult& r) {
  std::string text;
  for (const auto& e : r.events) {
    for (const auto& c : e.value("choices", json::array())) {
      if (c.contains("delta") && c["delta"].contains("content")) text += c["delta"]["content"].get<std::string>();
      if (c.contains("text")) text += c["text"].get<std::string>();
    }
  }
  return text;
}

// A metric's value from /metrics text (the first sample whose line starts with `name`).
inline double metric_value(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `skim serve` as a child process with stderr captured to a file; the port comes from the
// "listening on http://127.0.0.1:PORT/" log line.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    log_ = (std::filesystem::temp_directory_path() / ("skim_serve_" + std::to_string(::getpid()) + "_" +
                                                      std::to_string(counter()++) + ".log"))
               .string();
    std::vector<std::string> argv = {skim_binary(), "serve", "--host", "127.0.0.1", "--port", "0", "-t", "1"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen(log_.c_str(), "w");
      if (f) {
        ::dup2(fileno(f), 2);
        ::dup2(fileno(f), 1);
      }
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::execv(cargv[0], cargv.data());
      std::_Exit(127);
    }
    const std::regex re("listening on http://127\\.0\\.0\\.1:([0-9]+)/");
    for (int i = 0; i < 600 && port_ == 0; ++i) {  // up to 60 s (model load on a busy machine)
      std::smatch m;
      const std::string text = read_text(log_);
      if (std::regex_search(text, m, re)) port_ = std::stoi(m[1]);
      if (port_ == 0) {
        int status;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          exited_ = true;
          exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  ~ServeProcess() {
    if (!exited_ && pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove(log_);
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_text(log_); }
  void signal(int sig) const { ::kill(pid_, sig); }
  // The exit status, or -1 if it is still running after timeout_s.
  int wait_exit(int timeout_s) {
    for (int i = 0; i < timeout_s * 20 && !exited_; ++i) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exited_ ? exit_code_ : -1;
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool exited_ = false;
  int exit_code_ = -1;
};

}  // namespace skim::testing
