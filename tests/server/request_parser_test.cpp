// request_parser_test.cpp — the OpenAI request parser alone (no model): field mapping,
// defaults, accepted shapes, the nesting guard, and that errors name their field.
#include <gtest/gtest.h>

#include <string>

#include "server/openai_request.h"

namespace skim::server {
namespace {

Request ok(Endpoint ep, const std::string& body) {
  auto r = parse_request(ep, body);
  EXPECT_TRUE(r.ok()) << body << " -> " << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : Request{};
}

ApiError err(Endpoint ep, const std::string& body) {
  auto r = parse_request(ep, body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? ApiError{} : r.error();
}

TEST(RequestParser, ChatFieldsAreMapped) {
  Request r = ok(Endpoint::kChat, R"({"model":"m","messages":[{"role":"developer","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
      {"role":"assistant","content":null}],
      "max_tokens":7,"temperature":0.5,"top_p":0.9,"seed":42,"stop":["x","","y"],"stream":true,
      "stream_options":{"include_usage":true},"logprobs":true,"top_logprobs":2,"top_k":5,"min_p":0.1,
      "frequency_penalty":0.5,"presence_penalty":-0.5,"n":1,"user":"u","some_vendor_field":{"x":1}})");
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[1].content, "a\nb");
  EXPECT_EQ(r.messages[2].content, "");
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.gen.params.max_tokens, 7);
  EXPECT_FLOAT_EQ(r.gen.params.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.gen.params.sampling.top_p, 0.9f);
  EXPECT_EQ(r.gen.params.sampling.top_k, 5);
  EXPECT_FLOAT_EQ(r.gen.params.sampling.min_p, 0.1f);
  EXPECT_TRUE(r.has_seed);
  EXPECT_EQ(r.gen.params.sampling.seed, 42u);
  EXPECT_EQ(r.gen.params.stop, (std::vector<std::string>{"x", "y"}));  // empty stop strings dropped
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_TRUE(r.gen.logprobs);
  EXPECT_EQ(r.gen.top_logprobs, 2);
}

TEST(RequestParser, DefaultsFollowLlamaServerAndOpenAI) {
  Request c = ok(Endpoint::kChat, R"({"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(c.gen.params.max_tokens, -1);  // chat: until the end of generation
  EXPECT_FLOAT_EQ(c.gen.params.sampling.temperature, 0.8f);
  EXPECT_FALSE(c.has_seed);
  EXPECT_FALSE(c.stream);
  Request p = ok(Endpoint::kCompletion, R"({"prompt":"hi","temperature":null})");
  EXPECT_EQ(p.gen.params.max_tokens, 16);  // completions: OpenAI's default
  EXPECT_FLOAT_EQ(p.gen.params.sampling.temperature, 0.8f);  // null = absent
}

TEST(RequestParser, CompletionPromptShapes) {
  EXPECT_EQ(ok(Endpoint::kCompletion, R"({"prompt":"abc"})").prompt, "abc");
  EXPECT_EQ(ok(Endpoint::kCompletion, R"({"prompt":["abc"]})").prompt, "abc");
  Request t = ok(Endpoint::kCompletion, R"({"prompt":[1,2,3]})");
  EXPECT_TRUE(t.prompt_is_tokens);
  EXPECT_EQ(t.prompt_tokens, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(ok(Endpoint::kCompletion, R"({"prompt":[[4,5]]})").prompt_tokens, (std::vector<int32_t>{4, 5}));
  Request lp = ok(Endpoint::kCompletion, R"({"prompt":"x","logprobs":3,"max_tokens":2,"seed":18446744073709551615})");
  EXPECT_TRUE(lp.gen.logprobs);
  EXPECT_EQ(lp.gen.top_logprobs, 3);
  EXPECT_EQ(lp.gen.params.sampling.seed, 18446744073709551615ull);
  EXPECT_EQ(ok(Endpoint::kChat, R"({"messages":[{"role":"user","content":"x"}],"seed":-1})").gen.params.sampling.seed,
            ~0ull);
}

TEST(RequestParser, ErrorsNameTheField) {
  EXPECT_EQ(err(Endpoint::kChat, R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})").param,
            "temperature");
  EXPECT_EQ(err(Endpoint::kChat, R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})").param, "max_tokens");
  EXPECT_EQ(err(Endpoint::kChat, R"({"messages":[{"role":"user","content":5}]})").param, "messages[0].content");
  EXPECT_EQ(err(Endpoint::kChat, R"({"messages":[]})").param, "messages");
  EXPECT_EQ(err(Endpoint::kCompletion, R"({"prompt":["a","b"]})").param, "prompt");
  EXPECT_EQ(err(Endpoint::kCompletion, R"({"prompt":"a","n":3})").code, "unsupported_parameter");
  ApiError e = err(Endpoint::kChat, "{");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.code, "invalid_json");
}

TEST(RequestParser, NestingIsBoundedBeforeParsing) {
  EXPECT_EQ(json_depth(R"({"a":[1,{"b":"[[[["}]})", 100), 3);  // brackets inside strings do not count
  EXPECT_EQ(json_depth(R"("\"[[[")", 100), 0);
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(json_depth(deep, kMaxJsonDepth), kMaxJsonDepth + 1);  // stops counting early
  ApiError e = err(Endpoint::kChat, deep);
  EXPECT_NE(e.message.find("nests deeper"), std::string::npos) << e.message;
}

TEST(RequestParser, WrongTypesAreNeverCoerced) {
  for (const char* body : {
           R"({"messages":[{"role":"user","content":"x"}],"stream":"true"})",
           R"({"messages":[{"role":"user","content":"x"}],"stream":1})",
           R"({"messages":[{"role":"user","content":"x"}],"max_tokens":"5"})",
           R"({"messages":[{"role":"user","content":"x"}],"max_tokens":5.0})",
           R"({"messages":[{"role":"user","content":"x"}],"top_p":true})",
           R"({"messages":[{"role":"user","content":"x"}],"stop":{"a":1}})",
           R"({"messages":[{"role":"user","content":"x"}],"seed":1.5})",
           R"({"messages":[{"role":"user","content":"x"}],"logprobs":1})",
           R"({"messages":{"role":"user","content":"x"}})",
           R"({"messages":[{"role":["user"],"content":"x"}]})",
       }) {
    auto r = parse_request(Endpoint::kChat, body);
    EXPECT_FALSE(r.ok()) << body;
    if (!r.ok()) {
      EXPECT_EQ(r.error().status, 400) << body;
    }
  }
}

}  // namespace
}  // namespace skim::server
