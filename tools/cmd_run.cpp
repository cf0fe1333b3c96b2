// cmd_run.cpp — `skim run -p PROMPT`: generate a continuation; streams only the generated
// text to stdout, with timings on stderr.
#include <nlohmann/json.hpp>

#include "cli_common.h"

namespace skim::cli {

void add_run(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("run", "generate text from a prompt");
  struct Opts {
    ModelOptions m;
    GenerateParams g;
    std::string prompt, file;
    bool chat = false, json = false, no_bos = false, verbose = false;
  };
  auto o = std::make_shared<Opts>();
  add_model_options(app, o->m);
  auto* p = app->add_option("-p,--prompt", o->prompt, "prompt (backslash escapes \\n \\t interpreted; special tokens parsed)");
  auto* f = app->add_option("-f,--file", o->file, "read the prompt from a file");
  p->excludes(f);
  app->add_option("-n,--n-predict", o->g.max_tokens, "tokens to generate (-1 = until end of generation)");
  add_sampling_options(app, o->g.sampling);
  app->add_option("--stop", o->g.stop, "stop string (repeatable)");
  app->add_flag("--ignore-eos", o->g.ignore_eos, "keep generating past end-of-generation tokens");
  app->add_flag("--chat", o->chat, "wrap the prompt as one user message in the model's chat template");
  app->add_flag("--json", o->json, "print one JSON object with the text, token ids and timings instead of streaming");
  app->add_flag("-v,--verbose", o->verbose, "log model and timing details to stderr");
  app->callback([o, &exit_code] {
    std::string text = unescape(o->prompt);
    if (!o->file.empty()) {
      auto t = read_file(o->file);
      if (!t) {
        exit_code = fail(t.error().message);
        return;
      }
      text = *t;
    }
    if (text.empty()) {
      exit_code = fail("empty prompt: give one with -p or -f");
      return;
    }
    auto engine = load_engine(o->m);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    if (o->chat) {
      ChatMessage msg{"user", text};
      auto rendered = engine->apply_chat_template({&msg, 1}, true);
      if (!rendered) {
        exit_code = fail(rendered.error().message);
        return;
      }
      text = *rendered;
    }
    const ModelInfo& mi = engine->info();
    if (o->verbose) {
      fmt::print(stderr, "model: {} ({}), ctx {}, threads {}, kernels {}, {} numerics\n", mi.name, mi.arch, mi.n_ctx,
                 mi.n_threads, mi.isa, mi.numerics);
    }
    auto prompt = engine->tokenize(text, /*add_special=*/true, /*parse_special=*/true);
    auto session = engine->new_session();
    auto r = session->generate(prompt, o->g, [&](std::string_view piece) {
      if (!o->json) {
        fmt::print("{}", piece);
        std::fflush(stdout);
      }
      return true;
    });
    if (!r) {
      if (!o->json) fmt::print("\n");
      exit_code = fail(r.error().message);
      return;
    }
    const double pp = r->prompt_seconds > 0 ? r->prompt_tokens / r->prompt_seconds : 0.0;
    const double tg = r->generate_seconds > 0 ? static_cast<double>(r->tokens.size()) / r->generate_seconds : 0.0;
    if (o->json) {
      nlohmann::json j = {{"text", r->text},
                          {"tokens", r->tokens},
                          {"finish_reason", r->finish_reason},
                          {"prompt_tokens", r->prompt_tokens},
                          {"prompt_tokens_per_second", pp},
                          {"generated_tokens", r->tokens.size()},
                          {"generate_tokens_per_second", tg}};
      fmt::print("{}\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      fmt::print("\n");
      fmt::print(stderr, "[prompt {} tokens, {:.1f} tok/s | generated {} tokens, {:.1f} tok/s | {}{}]\n",
                 r->prompt_tokens, pp, r->tokens.size(), tg, r->finish_reason,
                 mi.sparsity == "dense" ? std::string()
                                        : fmt::format(" | {} measured sparsity {:.1f}%", mi.sparsity,
                                                      100.0 * session->measured_sparsity()));
    }
  });
}

}  // namespace skim::cli
