// cmd_chat.cpp — `skim chat`: interactive multi-turn chat with the model's template.
// The whole conversation is re-rendered each turn and only the new suffix is evaluated
// (the KV cache keeps the common prefix). When the history no longer fits, the oldest
// turns are dropped (the system message is kept). Ctrl-D or /exit leaves.
#include <unistd.h>

#include <iostream>

#include "cli_common.h"

namespace skim::cli {

namespace {
// Length of the common prefix of two token sequences.
size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}
}  // namespace

void add_chat(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("chat", "interactive multi-turn chat (Ctrl-D or /exit to leave)");
  struct Opts {
    ModelOptions m;
    GenerateParams g;
    std::string system;
  };
  auto o = std::make_shared<Opts>();
  o->g.max_tokens = 512;
  add_model_options(app, o->m);
  add_sampling_options(app, o->g.sampling);
  app->add_option("-n,--n-predict", o->g.max_tokens, "max tokens per reply");
  app->add_option("--system", o->system, "system message");
  app->callback([o, &exit_code] {
    auto engine = load_engine(o->m);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    const bool tty = ::isatty(STDIN_FILENO);
    std::vector<ChatMessage> history;
    if (!o->system.empty()) history.push_back({"system", o->system});
    auto session = engine->new_session();
    std::vector<int32_t> in_cache;  // tokens the session holds
    const int32_t n_ctx = session->n_ctx();
    if (tty) fmt::print(stderr, "skim chat — {} (ctx {}). Ctrl-D or /exit to leave.\n", engine->info().name, n_ctx);
    std::string line;
    while (true) {
      if (tty) fmt::print(stderr, "\n> ");
      if (!std::getline(std::cin, line)) break;
      if (line == "/exit" || line == "/quit") break;
      if (line.empty()) continue;
      history.push_back({"user", line});
      std::vector<int32_t> tokens;
      while (true) {
        auto rendered = engine->apply_chat_template(history, true);
        if (!rendered) {
          exit_code = fail(rendered.error().message);
          return;
        }
        tokens = engine->tokenize(*rendered, true, true);
        // Keep room for the reply; drop the oldest non-system turns while it does not fit.
        if (static_cast<int32_t>(tokens.size()) + o->g.max_tokens <= n_ctx) break;
        size_t first = (!history.empty() && history[0].role == "system") ? 1 : 0;
        if (history.size() - first <= 1) break;
        history.erase(history.begin() + static_cast<std::ptrdiff_t>(first));
        if (history.size() > first && history[first].role == "assistant") {
          history.erase(history.begin() + static_cast<std::ptrdiff_t>(first));
        }
      }
      if (static_cast<int32_t>(tokens.size()) >= n_ctx) {
        fmt::print(stderr, "error: message too long for the context ({} tokens, context {})\n", tokens.size(), n_ctx);
        history.pop_back();
        continue;
      }
      // Reuse the cached prefix; evaluate only the rest.
      size_t keep = common_prefix(in_cache, tokens);
      if (keep == tokens.size()) keep = tokens.size() - 1;  // need logits of the last token
      if (keep < in_cache.size()) {
        session->clear();
        in_cache.clear();
        keep = 0;
      }
      std::vector<int32_t> suffix(tokens.begin() + static_cast<std::ptrdiff_t>(keep), tokens.end());
      GenerateParams g = o->g;
      g.max_tokens = std::min<int32_t>(g.max_tokens, n_ctx - static_cast<int32_t>(tokens.size()));
      auto r = session->generate(suffix, g, [](std::string_view piece) {
        fmt::print("{}", piece);
        std::fflush(stdout);
        return true;
      });
      fmt::print("\n");
      if (!r) {
        exit_code = fail(r.error().message);
        return;
      }
      in_cache = tokens;
      in_cache.insert(in_cache.end(), r->tokens.begin(), r->tokens.end());
      // The last sampled token was not evaluated (or EOG was not appended): keep the cache
      // consistent by trimming our record to what the session actually holds.
      in_cache.resize(static_cast<size_t>(session->n_past()));
      history.push_back({"assistant", r->text});
    }
  });
}

}  // namespace skim::cli
