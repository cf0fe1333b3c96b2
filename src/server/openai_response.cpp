// openai_response.cpp — response and stream-chunk JSON (shapes in the header).
#include "server/openai_response.h"

namespace skim::server {

using json = nlohmann::json;

std::string dump_json(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string sse_event(const json& j) { return "data: " + dump_json(j) + "\n\n"; }

json usage_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

// llama-server's `timings` extension.
json timings_json(const Usage& u) {
  auto per_token = [](double ms, int32_t n) { return n > 0 ? ms / n : 0.0; };
  auto per_second = [](double ms, int32_t n) { return ms > 0 ? 1e3 * n / ms : 0.0; };
  return {{"queue_ms", u.queue_ms},
          {"prompt_n", u.prompt_tokens},
          {"prompt_ms", u.prompt_ms},
          {"prompt_per_token_ms", per_token(u.prompt_ms, u.prompt_tokens)},
          {"prompt_per_second", per_second(u.prompt_ms, u.prompt_tokens)},
          {"predicted_n", u.completion_tokens},
          {"predicted_ms", u.predicted_ms},
          {"predicted_per_token_ms", per_token(u.predicted_ms, u.completion_tokens)},
          {"predicted_per_second", per_second(u.predicted_ms, u.completion_tokens)}};
}

ResponseBuilder::ResponseBuilder(const Engine& engine, Endpoint endpoint, std::string model, std::string id,
                                 int64_t created, std::string fingerprint)
    : engine_(engine),
      endpoint_(endpoint),
      model_(std::move(model)),
      id_(std::move(id)),
      fingerprint_(std::move(fingerprint)),
      created_(created) {}

json ResponseBuilder::chunk_base() const {
  return {{"id", id_},
          {"object", endpoint_ == Endpoint::kChat ? "chat.completion.chunk" : "text_completion"},
          {"created", created_},
          {"model", model_},
          {"system_fingerprint", fingerprint_}};
}

json ResponseBuilder::logprobs_json(const std::vector<LogprobEntry>& entries) {
  auto bytes_of = [](const std::string& s) {
    json b = json::array();
    for (unsigned char c : s) b.push_back(static_cast<int>(c));
    return b;
  };
  if (endpoint_ == Endpoint::kChat) {
    json content = json::array();
    for (const auto& e : entries) {
      const std::string piece = engine_.token_piece(e.token);
      json top = json::array();
      for (const auto& t : e.top) {
        const std::string p = engine_.token_piece(t.token);
        top.push_back({{"token", p}, {"logprob", t.logprob}, {"bytes", bytes_of(p)}});
      }
      content.push_back({{"token", piece}, {"logprob", e.logprob}, {"bytes", bytes_of(piece)}, {"top_logprobs", top}});
    }
    return {{"content", content}};
  }
  json tokens = json::array(), lps = json::array(), tops = json::array(), offsets = json::array();
  for (const auto& e : entries) {
    const std::string piece = engine_.token_piece(e.token);
    tokens.push_back(piece);
    lps.push_back(e.logprob);
    json top = json::object();
    for (const auto& t : e.top) top[engine_.token_piece(t.token)] = t.logprob;
    tops.push_back(top);
    offsets.push_back(text_offset_);
    text_offset_ += piece.size();
  }
  return {{"tokens", tokens}, {"token_logprobs", lps}, {"top_logprobs", tops}, {"text_offset", offsets}};
}

json ResponseBuilder::complete(const std::string& text, const std::vector<LogprobEntry>& logprobs,
                               const std::string& finish_reason, const Usage& usage, bool want_logprobs) {
  json choice = {{"index", 0}, {"logprobs", want_logprobs ? logprobs_json(logprobs) : json()}, {"finish_reason", finish_reason}};
  json out = chunk_base();
  if (endpoint_ == Endpoint::kChat) {
    out["object"] = "chat.completion";
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  } else {
    choice["text"] = text;
  }
  out["choices"] = json::array({choice});
  out["usage"] = usage_json(usage);
  out["timings"] = timings_json(usage);
  return out;
}

std::string ResponseBuilder::stream_events(const Delta& d, bool want_logprobs, bool include_usage) {
  std::string out;
  auto emit_choice = [&](json choice) {
    json c = chunk_base();
    c["choices"] = json::array({std::move(choice)});
    if (include_usage) c["usage"] = nullptr;
    out += sse_event(c);
  };
  const bool has_content = !d.text.empty() || !d.logprobs.empty();
  if (endpoint_ == Endpoint::kChat) {
    if (!role_sent_) {
      role_sent_ = true;
      emit_choice({{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr},
                   {"finish_reason", nullptr}});
    }
    if (has_content) {
      emit_choice({{"index", 0},
                   {"delta", {{"content", d.text}}},
                   {"logprobs", want_logprobs ? logprobs_json(d.logprobs) : json()},
                   {"finish_reason", nullptr}});
    }
    if (d.finished && !d.error) {
      emit_choice({{"index", 0}, {"delta", json::object()}, {"logprobs", nullptr}, {"finish_reason", d.finish_reason}});
    }
  } else {
    if (has_content || (d.finished && !d.error)) {
      emit_choice({{"index", 0},
                   {"text", d.text},
                   {"logprobs", want_logprobs && has_content ? logprobs_json(d.logprobs) : json()},
                   {"finish_reason", d.finished && !d.error ? json(d.finish_reason) : json()}});
    }
  }
  if (d.finished && !d.error && include_usage) {
    json c = chunk_base();
    c["choices"] = json::array();
    c["usage"] = usage_json(d.usage);
    c["timings"] = timings_json(d.usage);
    out += sse_event(c);
  }
  return out;
}

}  // namespace skim::server
