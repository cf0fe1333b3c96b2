// cmd_perplexity.cpp — `skim perplexity -f FILE -c 512`: llama.cpp's perplexity method.
// Without -f it scores WikiText-2's wiki.test.raw from the data lookup (skim/data.h).
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "skim/eval.h"

namespace skim::cli {

void add_perplexity(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("perplexity", "perplexity of a text file (llama.cpp's method)");
  struct Opts {
    ModelOptions m;
    std::string file;
    PerplexityOptions p;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_model_options(app, o->m);
  app->add_option("-f,--file", o->file,
                  "text file (default: wikitext-2-raw/wiki.test.raw of the data folder: $SKIM_DATA, else the project's shared/data)");
  app->add_option("--chunk-size", o->p.n_ctx, "tokens per chunk (llama.cpp's -c)")->check(CLI::Range(4, 1 << 20));
  app->add_option("--chunks", o->p.max_chunks, "evaluate at most this many chunks");
  app->add_flag("--json", o->json, "print {\"perplexity\", \"tokens\", \"chunks\", ...} as JSON");
  app->add_flag("--no-progress", [o](int64_t) { o->p.progress = false; }, "no progress bar");
  app->callback([o, &exit_code] {
    // -c sets the chunk size as in llama-perplexity; the engine context must hold a chunk.
    if (o->m.ctx > 0) o->p.n_ctx = o->m.ctx;
    if (o->file.empty()) {
      auto found = find_data("wikitext-2-raw/wiki.test.raw", "pass -f FILE (any UTF-8 text to score)");
      if (!found) {
        exit_code = fail(found.error().message);
        return;
      }
      o->file = *found;
      fmt::print(stderr, "perplexity: scoring {}\n", o->file);
    }
    auto text = read_file(o->file);
    if (!text) {
      exit_code = fail(text.error().message);
      return;
    }
    // llama-perplexity's -f drops one trailing newline from the file; do the same.
    if (!text->empty() && text->back() == '\n') text->pop_back();
    ModelOptions mo = o->m;
    mo.ctx = o->p.n_ctx;
    mo.batch = std::max(mo.batch, o->p.n_ctx);
    auto engine = load_engine(mo);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    auto r = perplexity(*engine, *text, o->p);
    if (!r) {
      exit_code = fail(r.error().message);
      return;
    }
    if (o->json) {
      nlohmann::json j = {{"perplexity", r->perplexity}, {"uncertainty", r->uncertainty}, {"tokens", r->tokens},
                          {"chunks", r->chunks},         {"scored_tokens", r->scored},    {"n_ctx", o->p.n_ctx},
                          {"seconds", r->seconds}};
      fmt::print("{}\n", j.dump());
    } else {
      fmt::print("Final estimate: PPL = {:.4f} +/- {:.5f}  ({} chunks of {}, {} tokens scored, {:.1f} s)\n",
                 r->perplexity, r->uncertainty, r->chunks, o->p.n_ctx, r->scored, r->seconds);
    }
  });
}

}  // namespace skim::cli
