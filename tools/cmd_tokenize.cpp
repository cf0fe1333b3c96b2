// cmd_tokenize.cpp — `skim tokenize -p TEXT`: token ids (and pieces) of a text.
#include <nlohmann/json.hpp>

#include "cli_common.h"

namespace skim::cli {

void add_tokenize(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("tokenize", "tokenize a prompt with the model's tokenizer");
  struct Opts {
    ModelOptions m;
    std::string prompt, file;
    bool ids = false, no_bos = false, no_special = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("-m,--model", o->m.model, "GGUF file or known model name");
  auto* p = app->add_option("-p,--prompt", o->prompt, "text (backslash escapes \\n \\t interpreted)");
  auto* f = app->add_option("-f,--file", o->file, "read the text from a file");
  p->excludes(f);
  app->add_flag("--ids", o->ids, "print only the ids, as [1, 2, 3]");
  app->add_flag("--no-bos", o->no_bos, "do not add BOS even if the model asks for it");
  app->add_flag("--no-parse-special", o->no_special, "treat special-token texts as plain text");
  app->add_flag("--json", o->json, "JSON output: ids and pieces");
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
    auto engine = load_engine(o->m);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    auto ids = engine->tokenize(text, !o->no_bos, !o->no_special);
    if (o->json) {
      nlohmann::json j;
      j["ids"] = ids;
      nlohmann::json pieces = nlohmann::json::array();
      for (int32_t id : ids) pieces.push_back(engine->token_piece(id, true));
      j["pieces"] = pieces;
      fmt::print("{}\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else if (o->ids) {
      fmt::print("[{}]\n", fmt::join(ids, ", "));
    } else {
      for (int32_t id : ids) fmt::print("{:6} -> '{}'\n", id, engine->token_piece(id, true));
    }
  });
}

}  // namespace skim::cli
