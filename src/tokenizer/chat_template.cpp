// chat_template.cpp — see chat_template.h. The only part of the template text that is
// interpreted is the ChatML default-system clause: after
//   messages[0]['role'] != 'system'   (either quote style)
// the first {{ ... }} expression must be a single Jinja string literal, which is decoded
// (\n, \t, \\, \', \" escapes) and emitted verbatim.
#include "tokenizer/chat_template.h"

#include <optional>

#include <fmt/format.h>

#include "tokenizer/utf8.h"

namespace skim::tok {

namespace {

std::string_view trim_ascii(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Python's str.isspace (what Jinja's |trim strips).
bool is_py_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

std::string_view jinja_trim(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t pos = begin;
    if (!is_py_space(decode_utf8(s, pos))) break;
    begin = pos;
  }
  size_t end = begin;
  for (size_t pos = begin; pos < s.size();) {
    if (!is_py_space(decode_utf8(s, pos))) end = pos;
  }
  return s.substr(begin, end - begin);
}

// Decode a quoted Jinja string literal at the start of `s`; `used` receives the number
// of source characters it spans (quotes included). nullopt if there is none.
std::optional<std::string> parse_string_literal(std::string_view s, size_t& used) {
  if (s.empty() || (s[0] != '\'' && s[0] != '"')) return std::nullopt;
  const char quote = s[0];
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == quote) {
      used = i + 1;
      return out;
    }
    if (c != '\\' || i + 1 >= s.size()) {
      out.push_back(c);
      continue;
    }
    const char e = s[++i];
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      default: out.push_back(e); break;  // \\, \', \"
    }
  }
  return std::nullopt;
}

// The default system turn a ChatML template injects, or "" if it has no such clause.
Result<std::string> chatml_default_system(std::string_view tmpl) {
  size_t at = std::string_view::npos;
  for (std::string_view cond : {"messages[0]['role'] != 'system'", "messages[0][\"role\"] != \"system\""}) {
    at = tmpl.find(cond);
    if (at != std::string_view::npos) break;
  }
  if (at == std::string_view::npos) return std::string();
  const size_t open = tmpl.find("{{", at);
  const size_t close = open == std::string_view::npos ? open : tmpl.find("}}", open);
  if (close == std::string_view::npos) return make_error("chat template: cannot find the default system message");
  std::string_view expr = tmpl.substr(open + 2, close - open - 2);
  if (!expr.empty() && expr.front() == '-') expr.remove_prefix(1);  // {{- whitespace control
  if (!expr.empty() && expr.back() == '-') expr.remove_suffix(1);   // -}}
  expr = trim_ascii(expr);
  size_t used = 0;
  auto lit = parse_string_literal(expr, used);
  if (!lit || used != expr.size()) {
    return make_error("chat template: the default system message is not a plain string literal");
  }
  return *lit;
}

Result<std::string> render_chatml(std::string_view tmpl, std::span<const ChatMessage> msgs, bool add_gen) {
  SKIM_TRY(std::string default_system, chatml_default_system(tmpl));
  std::string out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i == 0 && msgs[0].role != "system") out += default_system;
    out += "<|im_start|>";
    out += msgs[i].role;
    out += '\n';
    out += msgs[i].content;
    out += "<|im_end|>\n";
  }
  if (add_gen) out += "<|im_start|>assistant\n";
  return out;
}

Result<std::string> render_gemma(std::span<const ChatMessage> msgs, bool add_gen, std::string_view bos_text) {
  if (msgs.empty()) return make_error("chat template: no messages");
  std::string out(bos_text);
  std::string first_prefix;
  if (msgs[0].role == "system") {
    first_prefix = msgs[0].content + "\n\n";
    msgs = msgs.subspan(1);
  }
  for (size_t i = 0; i < msgs.size(); ++i) {
    const ChatMessage& m = msgs[i];
    if ((m.role == "user") != (i % 2 == 0)) {
      return make_error("chat template: conversation roles must alternate user/assistant/user/assistant/...");
    }
    out += "<start_of_turn>";
    out += m.role == "assistant" ? std::string_view("model") : std::string_view(m.role);
    out += '\n';
    if (i == 0) out += first_prefix;
    out += jinja_trim(m.content);
    out += "<end_of_turn>\n";
  }
  if (add_gen) out += "<start_of_turn>model\n";
  return out;
}

}  // namespace

Result<ChatTemplateKind> detect_chat_template(std::string_view template_text) {
  if (template_text.find("<|im_start|>") != std::string_view::npos) return ChatTemplateKind::kChatMl;
  if (template_text.find("<start_of_turn>") != std::string_view::npos) return ChatTemplateKind::kGemma;
  return make_error("unsupported chat template (neither ChatML nor Gemma)");
}

Result<std::string> apply_chat_template(std::string_view template_text, std::span<const ChatMessage> msgs,
                                        bool add_generation_prompt, std::string_view bos_text) {
  SKIM_TRY(ChatTemplateKind kind, detect_chat_template(template_text));
  if (kind == ChatTemplateKind::kChatMl) return render_chatml(template_text, msgs, add_generation_prompt);
  return render_gemma(msgs, add_generation_prompt, bos_text);
}

}  // namespace skim::tok
