// task_data.cpp — parsers for the task files. Prompt formats follow lm-evaluation-harness:
//   lambada     context = text up to the last space, continuation = " " + last word
//   arc_easy    "Question: ...\\nAnswer:" + " " + choice
//   boolq       "Passage: ...\\nQuestion: ...?\\nAnswer:" + " " + no/yes
//   winogrande  partial evaluation: context = sentence up to the blank filled with each option,
//               continuation = " " + the rest (scored identically for both options)
//   hellaswag   llama.cpp's text format (context line, gold, 4 endings); " " + ending
#include "eval/task_data.h"

#include "skim/eval.h"

#include <bzlib.h>
#include <fmt/core.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

namespace skim::eval {

namespace {

Result<std::vector<nlohmann::json>> read_jsonl(const std::string& path, int32_t limit) {
  std::ifstream in(path);
  if (!in) return make_error(fmt::format("cannot read task file '{}'", path));
  std::vector<nlohmann::json> rows;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) return make_error(fmt::format("{}:{}: invalid JSON", path, lineno));
    rows.push_back(std::move(j));
    if (limit >= 0 && static_cast<int32_t>(rows.size()) >= limit) break;
  }
  return rows;
}

Result<std::string> read_bz2(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return make_error(fmt::format("cannot read task file '{}'", path));
  int err = BZ_OK;
  BZFILE* bz = BZ2_bzReadOpen(&err, f.get(), 0, 0, nullptr, 0);
  if (err != BZ_OK) return make_error(fmt::format("{}: not a bzip2 file", path));
  std::string out;
  char buf[1 << 16];
  while (err == BZ_OK) {
    int n = BZ2_bzRead(&err, bz, buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  BZ2_bzReadClose(&err, bz);
  return out;
}

template <class T>
Result<T> field(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) return make_error(fmt::format("{}: missing field '{}'", where, key));
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    return make_error(fmt::format("{}: field '{}' has the wrong type", where, key));
  }
}

Result<std::vector<Example>> load_choices(const std::string& path, int32_t limit, const std::string& suffix) {
  SKIM_TRY(auto rows, read_jsonl(path, limit));
  std::vector<Example> out;
  for (const auto& r : rows) {
    SKIM_TRY(auto query, field<std::string>(r, "query", path));
    SKIM_TRY(auto choices, field<std::vector<std::string>>(r, "choices", path));
    SKIM_TRY(int32_t gold, field<int32_t>(r, "gold", path));
    if (gold < 0 || gold >= static_cast<int32_t>(choices.size())) return make_error(path + ": gold index out of range");
    Example e;
    e.gold = gold;
    for (const auto& c : choices) e.candidates.push_back({query + suffix, " " + c});
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<std::vector<Example>> load_task(const std::string& task, const std::string& dir, int32_t limit) {
  if (task == "lambada") {
    const std::string path = dir + "/" + task_file(task);
    SKIM_TRY(auto rows, read_jsonl(path, limit));
    std::vector<Example> out;
    for (const auto& r : rows) {
      SKIM_TRY(auto text, field<std::string>(r, "text", path));
      const size_t sp = text.rfind(' ');
      if (sp == std::string::npos || sp == 0) continue;
      out.push_back(Example{{{text.substr(0, sp), text.substr(sp)}}, 0});
    }
    return out;
  }
  if (task == "arc_easy") return load_choices(dir + "/" + task_file(task), limit, "\nAnswer:");
  if (task == "boolq") return load_choices(dir + "/" + task_file(task), limit, "\nAnswer:");
  if (task == "winogrande") {
    const std::string path = dir + "/" + task_file(task);
    SKIM_TRY(auto rows, read_jsonl(path, limit));
    std::vector<Example> out;
    for (const auto& r : rows) {
      SKIM_TRY(auto opts, field<std::vector<std::string>>(r, "context_options", path));
      SKIM_TRY(auto cont, field<std::string>(r, "continuation", path));
      SKIM_TRY(int32_t gold, field<int32_t>(r, "gold", path));
      if (gold < 0 || gold >= static_cast<int32_t>(opts.size())) return make_error(path + ": gold index out of range");
      Example e;
      e.gold = gold;
      for (const auto& o : opts) e.candidates.push_back({o, " " + cont});
      out.push_back(std::move(e));
    }
    return out;
  }
  if (task == "hellaswag") {
    const std::string path = dir + "/" + task_file(task);
    SKIM_TRY(std::string text, read_bz2(path));
    std::istringstream in(text);
    std::vector<Example> out;
    std::string ctx, gold_line;
    while ((limit < 0 || static_cast<int32_t>(out.size()) < limit) && std::getline(in, ctx) &&
           std::getline(in, gold_line)) {
      Example e;
      e.gold = std::atoi(gold_line.c_str());
      for (int i = 0; i < 4; ++i) {
        std::string ending;
        if (!std::getline(in, ending)) return make_error(path + ": truncated task");
        e.candidates.push_back({ctx, " " + ending});
      }
      if (e.gold < 0 || e.gold > 3) return make_error(path + ": gold index out of range");
      out.push_back(std::move(e));
    }
    return out;
  }
  return make_error(fmt::format("unknown task '{}' (known: lambada, arc_easy, hellaswag, winogrande, boolq)", task));
}

}  // namespace skim::eval
