// main.cpp — the `skim` command line. Each subcommand lives in its own cmd_*.cpp file and
// registers itself here. Results go to stdout, logs and progress to stderr; errors are one
// line ("error: ...") with exit status 1.
#include <CLI/CLI.hpp>

namespace skim::cli {
void add_pull(CLI::App& root, int& exit_code);
void add_info(CLI::App& root, int& exit_code);
void add_tokenize(CLI::App& root, int& exit_code);
void add_run(CLI::App& root, int& exit_code);
void add_chat(CLI::App& root, int& exit_code);
void add_perplexity(CLI::App& root, int& exit_code);
void add_bench(CLI::App& root, int& exit_code);
void add_eval(CLI::App& root, int& exit_code);
void add_calibrate(CLI::App& root, int& exit_code);
void add_serve(CLI::App& root, int& exit_code);
void add_sweep(CLI::App& root, int& exit_code);
}  // namespace skim::cli

int main(int argc, char** argv) {
  CLI::App app{"skim — fast LLM inference with contextual sparsity"};
  app.require_subcommand(1);
  int exit_code = 0;
  skim::cli::add_pull(app, exit_code);
  skim::cli::add_info(app, exit_code);
  skim::cli::add_tokenize(app, exit_code);
  skim::cli::add_run(app, exit_code);
  skim::cli::add_chat(app, exit_code);
  skim::cli::add_perplexity(app, exit_code);
  skim::cli::add_bench(app, exit_code);
  skim::cli::add_eval(app, exit_code);
  skim::cli::add_calibrate(app, exit_code);
  skim::cli::add_serve(app, exit_code);
  skim::cli::add_sweep(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
