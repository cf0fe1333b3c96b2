// run_command.h — run a command line through /bin/sh and capture stdout, stderr and the
// exit status (for end-to-end tests of the skim binary).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace skim::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline CommandResult run_command(const std::string& cmd, const std::string& stdin_text = "") {
  namespace fs = std::filesystem;
  static int counter = 0;
  const std::string base = (fs::temp_directory_path() / ("skim_cmd_" + std::to_string(::getpid()) + "_" +
                                                          std::to_string(counter++))).string();
  {
    std::ofstream in(base + ".in", std::ios::binary);
    in << stdin_text;
  }
  const std::string full = cmd + " <" + base + ".in >" + base + ".out 2>" + base + ".err";
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  fs::remove(base + ".in");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  return r;
}

}  // namespace skim::testing
