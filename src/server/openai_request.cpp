// openai_request.cpp — parsing and validation of OpenAI request bodies (policy in the
// header). Every error names its field in `param` and quotes the offending value.
#include "server/openai_request.h"

#include <fmt/core.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

namespace skim::server {

using json = nlohmann::json;

int json_depth(std::string_view body, int limit) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) max_depth = depth;
      if (max_depth > limit) return max_depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

namespace {

// A short rendering of a JSON value for error messages.
std::string show(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

// Reads known fields of one JSON object; the first error wins and later reads are no-ops.
class Reader {
 public:
  explicit Reader(const json& obj) : obj_(obj) {}

  std::optional<ApiError> error;
  bool ok() const { return !error.has_value(); }
  void fail(ApiError e) {
    if (!error) error = std::move(e);
  }

  // The field's value, or nullptr when absent or null.
  const json* find(const char* key) const {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  void boolean(const char* key, bool& out) {
    const json* v = find(key);
    if (!ok() || !v) return;
    if (!v->is_boolean()) return fail(invalid_request(fmt::format("'{}' must be a boolean, got {}", key, show(*v)), key));
    out = v->get<bool>();
  }

  void number(const char* key, float& out, double lo, double hi) {
    const json* v = find(key);
    if (!ok() || !v) return;
    if (!v->is_number()) {
      return fail(invalid_request(fmt::format("'{}' must be a number, got {}", key, show(*v)), key));
    }
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) {
      return fail(invalid_request(fmt::format("'{}' must be between {} and {}, got {}", key, lo, hi, show(*v)), key));
    }
    out = static_cast<float>(d);
  }

  // Integers only (1.0 is refused: OpenAI's schema says integer).
  bool integer(const char* key, int64_t& out, int64_t lo, int64_t hi) {
    const json* v = find(key);
    if (!ok() || !v) return false;
    if (!v->is_number_integer()) {
      fail(invalid_request(fmt::format("'{}' must be an integer, got {}", key, show(*v)), key));
      return false;
    }
    bool in_range;
    if (v->is_number_unsigned()) {
      const uint64_t u = v->get<uint64_t>();
      in_range = u <= static_cast<uint64_t>(hi) && static_cast<int64_t>(u) >= lo;
      if (in_range) out = static_cast<int64_t>(u);
    } else {
      const int64_t i = v->get<int64_t>();
      in_range = i >= lo && i <= hi;
      if (in_range) out = i;
    }
    if (!in_range) {
      fail(invalid_request(fmt::format("'{}' must be between {} and {}, got {}", key, lo, hi, show(*v)), key));
      return false;
    }
    return true;
  }

  void string(const char* key, std::string& out) {
    const json* v = find(key);
    if (!ok() || !v) return;
    if (!v->is_string()) return fail(invalid_request(fmt::format("'{}' must be a string, got {}", key, show(*v)), key));
    out = v->get<std::string>();
  }

  // A field that is accepted only when absent, null, false, empty or equal to `neutral`.
  void unsupported_unless_neutral(const char* key, const json& neutral = json()) {
    const json* v = find(key);
    if (!ok() || !v) return;
    const bool neutral_value = (v->is_boolean() && !v->get<bool>()) || (v->is_string() && v->get<std::string>().empty()) ||
                               (v->is_array() && v->empty()) || (v->is_object() && v->empty()) ||
                               (!neutral.is_null() && *v == neutral);
    if (!neutral_value) {
      fail(invalid_request(fmt::format("'{}' is not supported by this server (got {})", key, show(*v)), key,
                           "unsupported_parameter"));
    }
  }

 private:
  const json& obj_;
};

void read_stop(Reader& r, std::vector<std::string>& out) {
  const json* v = r.find("stop");
  if (!r.ok() || !v) return;
  auto add = [&](const json& s) {
    if (!s.is_string()) {
      r.fail(invalid_request(fmt::format("'stop' must be a string or an array of strings, got {}", show(s)), "stop"));
      return;
    }
    std::string str = s.get<std::string>();
    if (str.size() > kMaxStopBytes) {
      r.fail(invalid_request(fmt::format("a 'stop' string is longer than {} bytes", kMaxStopBytes), "stop"));
      return;
    }
    if (!str.empty()) out.push_back(std::move(str));
  };
  if (v->is_string()) return add(*v);
  if (!v->is_array()) {
    return r.fail(invalid_request(fmt::format("'stop' must be a string or an array of strings, got {}", show(*v)), "stop"));
  }
  if (v->size() > kMaxStopStrings) {
    return r.fail(invalid_request(fmt::format("'stop' may hold at most {} strings, got {}", kMaxStopStrings, v->size()),
                                  "stop"));
  }
  for (const json& s : *v) {
    add(s);
    if (!r.ok()) return;
  }
}

// Sampling, limits, streaming: the fields both endpoints share.
void read_common(Reader& r, Endpoint ep, Request& req) {
  r.string("model", req.model);
  r.boolean("stream", req.stream);
  if (const json* so = r.find("stream_options"); r.ok() && so) {
    if (!so->is_object()) {
      r.fail(invalid_request(fmt::format("'stream_options' must be an object, got {}", show(*so)), "stream_options"));
    } else {
      Reader sr(*so);
      sr.boolean("include_usage", req.include_usage);
      if (!sr.ok()) r.fail(*sr.error);
    }
  }
  GenerateParams& gp = req.gen.params;
  SamplingOptions& s = gp.sampling;
  int64_t i = 0;
  gp.max_tokens = ep == Endpoint::kChat ? -1 : 16;
  if (r.integer("max_tokens", i, 1, std::numeric_limits<int32_t>::max())) gp.max_tokens = static_cast<int32_t>(i);
  if (ep == Endpoint::kChat && r.find("max_completion_tokens") &&
      r.integer("max_completion_tokens", i, 1, std::numeric_limits<int32_t>::max())) {
    gp.max_tokens = static_cast<int32_t>(i);
  }
  r.number("temperature", s.temperature, 0.0, 2.0);
  r.number("top_p", s.top_p, 0.0, 1.0);
  r.number("min_p", s.min_p, 0.0, 1.0);
  r.number("frequency_penalty", s.frequency_penalty, -2.0, 2.0);
  r.number("presence_penalty", s.presence_penalty, -2.0, 2.0);
  r.number("repeat_penalty", s.repeat_penalty, 1e-3, 100.0);
  if (r.integer("top_k", i, 0, 1 << 20)) s.top_k = static_cast<int32_t>(i);
  if (r.integer("repeat_last_n", i, -1, 1 << 20)) s.penalty_last_n = static_cast<int32_t>(i);
  if (const json* v = r.find("seed"); r.ok() && v) {  // any 64-bit integer, signed or not
    if (!v->is_number_integer()) {
      r.fail(invalid_request(fmt::format("'seed' must be an integer, got {}", show(*v)), "seed"));
    } else {
      s.seed = v->is_number_unsigned() ? v->get<uint64_t>() : static_cast<uint64_t>(v->get<int64_t>());
      req.has_seed = true;
    }
  }
  read_stop(r, gp.stop);
  r.boolean("ignore_eos", gp.ignore_eos);
  if (r.integer("n", i, 1, std::numeric_limits<int32_t>::max()) && i != 1) {
    r.fail(invalid_request("only n = 1 is supported", "n", "unsupported_parameter"));
  }
  std::string user;
  r.string("user", user);
  r.unsupported_unless_neutral("logit_bias");
}

ApiResult<ChatMessage> read_message(const json& m, size_t index) {
  const std::string where = fmt::format("messages[{}]", index);
  if (!m.is_object()) return invalid_request(fmt::format("'{}' must be an object, got {}", where, show(m)), where);
  ChatMessage msg;
  auto role = m.find("role");
  if (role == m.end() || !role->is_string()) {
    return invalid_request(fmt::format("'{}.role' must be a string", where), where + ".role");
  }
  msg.role = role->get<std::string>();
  if (msg.role == "developer") msg.role = "system";
  if (msg.role != "system" && msg.role != "user" && msg.role != "assistant") {
    return invalid_request(
        fmt::format("'{}.role' must be one of system, developer, user, assistant; got {}", where, show(*role)),
        where + ".role");
  }
  auto content = m.find("content");
  if (content == m.end() || content->is_null()) {
    if (msg.role != "assistant") {
      return invalid_request(fmt::format("'{}.content' is missing", where), where + ".content");
    }
    return msg;  // an assistant turn without text
  }
  if (content->is_string()) {
    msg.content = content->get<std::string>();
    return msg;
  }
  if (!content->is_array()) {
    return invalid_request(fmt::format("'{}.content' must be a string or an array of parts, got {}", where, show(*content)),
                           where + ".content");
  }
  for (size_t k = 0; k < content->size(); ++k) {
    const json& part = (*content)[k];
    const std::string pw = fmt::format("{}.content[{}]", where, k);
    if (!part.is_object()) return invalid_request(fmt::format("'{}' must be an object", pw), pw);
    auto type = part.find("type");
    if (type == part.end() || !type->is_string()) return invalid_request(fmt::format("'{}.type' must be a string", pw), pw);
    if (*type != "text") {
      return invalid_request(fmt::format("'{}': content parts of type {} are not supported", pw, show(*type)), pw,
                             "unsupported_content");
    }
    auto text = part.find("text");
    if (text == part.end() || !text->is_string()) return invalid_request(fmt::format("'{}.text' must be a string", pw), pw);
    if (!msg.content.empty()) msg.content += "\n";
    msg.content += text->get<std::string>();
  }
  return msg;
}

void read_chat(Reader& r, const json& body, Request& req) {
  auto it = body.find("messages");
  if (it == body.end() || it->is_null()) return r.fail(invalid_request("'messages' is required", "messages"));
  if (!it->is_array()) {
    return r.fail(invalid_request(fmt::format("'messages' must be an array, got {}", type_name(*it)), "messages"));
  }
  if (it->empty()) return r.fail(invalid_request("'messages' must not be empty", "messages"));
  if (it->size() > kMaxMessages) {
    return r.fail(invalid_request(fmt::format("'messages' may hold at most {} messages", kMaxMessages), "messages"));
  }
  for (size_t i = 0; i < it->size(); ++i) {
    auto m = read_message((*it)[i], i);
    if (!m.ok()) return r.fail(m.error());
    req.messages.push_back(std::move(m.value()));
  }
  bool logprobs = false;
  r.boolean("logprobs", logprobs);
  int64_t top = 0;
  if (r.integer("top_logprobs", top, 0, 20) && top > 0 && !logprobs) {
    r.fail(invalid_request("'top_logprobs' requires 'logprobs' to be true", "top_logprobs"));
  }
  req.gen.logprobs = logprobs;
  req.gen.top_logprobs = static_cast<int32_t>(top);
  r.unsupported_unless_neutral("tools");
  r.unsupported_unless_neutral("functions");
  if (const json* rf = r.find("response_format"); r.ok() && rf) {
    if (!rf->is_object() || rf->value("type", json()) != "text") {
      r.fail(invalid_request(fmt::format("'response_format' {} is not supported (only {{\"type\": \"text\"}})", show(*rf)),
                             "response_format", "unsupported_parameter"));
    }
  }
}

bool read_token_ids(const json& a, std::vector<int32_t>& out) {
  for (const json& t : a) {
    if (!t.is_number_integer()) return false;
    const int64_t v = t.is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(t.get<uint64_t>(), 1ull << 40))
                                             : t.get<int64_t>();
    if (v < 0 || v > std::numeric_limits<int32_t>::max()) return false;
    out.push_back(static_cast<int32_t>(v));
  }
  return true;
}

void read_completion(Reader& r, const json& body, Request& req) {
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) return r.fail(invalid_request("'prompt' is required", "prompt"));
  const json& p = *it;
  const ApiError bad = invalid_request(
      "'prompt' must be a string, an array of one string, or an array of token ids (one prompt per request)", "prompt");
  if (p.is_string()) {
    req.prompt = p.get<std::string>();
  } else if (p.is_array()) {
    if (p.empty()) return r.fail(invalid_request("'prompt' must not be empty", "prompt"));
    if (p[0].is_string()) {
      if (p.size() != 1 || !p[0].is_string()) return r.fail(bad);
      req.prompt = p[0].get<std::string>();
    } else if (p[0].is_array()) {
      if (p.size() != 1 || !read_token_ids(p[0], req.prompt_tokens)) return r.fail(bad);
      req.prompt_is_tokens = true;
    } else {
      if (!read_token_ids(p, req.prompt_tokens)) return r.fail(bad);
      req.prompt_is_tokens = true;
    }
  } else {
    return r.fail(bad);
  }
  if (req.prompt_is_tokens ? req.prompt_tokens.empty() : req.prompt.empty()) {
    return r.fail(invalid_request("'prompt' must not be empty", "prompt"));
  }
  // Legacy logprobs: the number of alternatives (0..5); 0 still returns the chosen token's.
  if (const json* lp = r.find("logprobs"); r.ok() && lp) {
    int64_t n = 0;
    if (r.integer("logprobs", n, 0, 5)) {
      req.gen.logprobs = true;
      req.gen.top_logprobs = static_cast<int32_t>(n);
    }
  }
  r.unsupported_unless_neutral("echo");
  r.unsupported_unless_neutral("suffix");
  int64_t best_of = 1;
  if (r.integer("best_of", best_of, 1, 1 << 20) && best_of != 1) {
    r.fail(invalid_request("only best_of = 1 is supported", "best_of", "unsupported_parameter"));
  }
}

}  // namespace

ApiResult<Request> parse_request(Endpoint endpoint, std::string_view body) {
  if (body.empty()) return invalid_request("the request body is empty; send a JSON object");
  if (json_depth(body, kMaxJsonDepth) > kMaxJsonDepth) {
    return invalid_request(fmt::format("the request body nests deeper than {} levels", kMaxJsonDepth));
  }
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid_request("the request body is not valid JSON", {}, "invalid_json");
  if (!doc.is_object()) return invalid_request(fmt::format("the request body must be a JSON object, got {}", type_name(doc)));
  Request req;
  req.endpoint = endpoint;
  Reader r(doc);
  if (endpoint == Endpoint::kChat) {
    read_chat(r, doc, req);
  } else {
    read_completion(r, doc, req);
  }
  read_common(r, endpoint, req);
  if (!r.ok()) return *r.error;
  return req;
}

}  // namespace skim::server
