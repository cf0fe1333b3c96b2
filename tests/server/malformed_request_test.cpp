// malformed_request_test.cpp — hostile and broken requests against one in-process
// server: each gets the right 4xx with an OpenAI-shaped error body (and the offending
// field in `param` where there is one), the server stays healthy after every case, and a
// normal request still works at the end. Also the documented non-errors: unknown fields
// and null values are ignored, any Content-Type is read as JSON.
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace skim {
namespace {

using namespace testing;  // NOLINT

struct Case {
  const char* name;
  std::string method, path, body;
  int status;
  std::string param = {};  // expected error.param ("" = not checked)
  std::string code = {};   // expected error.code ("" = not checked)
  std::vector<std::string> headers = {};
};

const char* kChat = "/v1/chat/completions";
const char* kCompl = "/v1/completions";

std::string chat(const std::string& extra, const std::string& messages = R"([{"role":"user","content":"Hi"}])") {
  return R"({"messages":)" + messages + (extra.empty() ? "" : "," + extra) + "}";
}

std::vector<Case> cases() {
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  std::string long_prompt;
  for (int i = 0; i < 120; ++i) long_prompt += "lorem ipsum dolor sit amet ";
  return {
      // --- not JSON / not an object
      {"truncated JSON", "POST", kChat, "{\"messages\": [", 400, "", "invalid_json"},
      {"not JSON", "POST", kChat, "hello there", 400, "", "invalid_json"},
      {"empty body", "POST", kChat, "", 400},
      {"JSON array", "POST", kChat, "[]", 400},
      {"JSON string", "POST", kChat, "\"hi\"", 400},
      {"JSON null", "POST", kChat, "null", 400},
      {"trailing garbage", "POST", kChat, chat("") + "xyz", 400, "", "invalid_json"},
      {"deep nesting", "POST", kChat, deep, 400},
      {"invalid UTF-8", "POST", kChat, chat("", "[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]"), 400},
      // --- messages
      {"messages missing", "POST", kChat, R"({"max_tokens":1})", 400, "messages"},
      {"messages empty", "POST", kChat, chat("", "[]"), 400, "messages"},
      {"messages a string", "POST", kChat, chat("", "\"hi\""), 400, "messages"},
      {"message not an object", "POST", kChat, chat("", "[1]"), 400, "messages[0]"},
      {"role missing", "POST", kChat, chat("", R"([{"content":"x"}])"), 400, "messages[0].role"},
      {"role unknown", "POST", kChat, chat("", R"([{"role":"wizard","content":"x"}])"), 400, "messages[0].role"},
      {"role a number", "POST", kChat, chat("", R"([{"role":3,"content":"x"}])"), 400, "messages[0].role"},
      {"content a number", "POST", kChat, chat("", R"([{"role":"user","content":42}])"), 400, "messages[0].content"},
      {"content missing", "POST", kChat, chat("", R"([{"role":"user"}])"), 400, "messages[0].content"},
      {"image part", "POST", kChat,
       chat("", R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}])"), 400,
       "messages[0].content[0]"},
      {"text part without text", "POST", kChat, chat("", R"([{"role":"user","content":[{"type":"text"}]}])"), 400,
       "messages[0].content[0]"},
      {"tool message", "POST", kChat, chat("", R"([{"role":"tool","content":"x"}])"), 400, "messages[0].role"},
      // --- sampling and limits
      {"temperature a string", "POST", kChat, chat(R"("temperature":"hot")"), 400, "temperature"},
      {"temperature too high", "POST", kChat, chat(R"("temperature":5)"), 400, "temperature"},
      {"temperature negative", "POST", kChat, chat(R"("temperature":-0.1)"), 400, "temperature"},
      {"top_p above 1", "POST", kChat, chat(R"("top_p":1.5)"), 400, "top_p"},
      {"frequency_penalty out of range", "POST", kChat, chat(R"("frequency_penalty":3)"), 400, "frequency_penalty"},
      {"top_k negative", "POST", kChat, chat(R"("top_k":-1)"), 400, "top_k"},
      {"max_tokens zero", "POST", kChat, chat(R"("max_tokens":0)"), 400, "max_tokens"},
      {"max_tokens negative", "POST", kChat, chat(R"("max_tokens":-5)"), 400, "max_tokens"},
      {"max_tokens fractional", "POST", kChat, chat(R"("max_tokens":1.5)"), 400, "max_tokens"},
      {"max_tokens a string", "POST", kChat, chat(R"("max_tokens":"10")"), 400, "max_tokens"},
      {"max_tokens huge", "POST", kChat, chat(R"("max_tokens":99999999999)"), 400, "max_tokens"},
      {"stream a string", "POST", kChat, chat(R"("stream":"yes")"), 400, "stream"},
      {"stream_options a string", "POST", kChat, chat(R"("stream_options":"x")"), 400, "stream_options"},
      {"n = 2", "POST", kChat, chat(R"("n":2)"), 400, "n", "unsupported_parameter"},
      {"stop a number", "POST", kChat, chat(R"("stop":5)"), 400, "stop"},
      {"stop with a number", "POST", kChat, chat(R"("stop":["a",1])"), 400, "stop"},
      {"too many stops", "POST", kChat,
       chat(R"("stop":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"])"), 400, "stop"},
      {"seed a string", "POST", kChat, chat(R"("seed":"abc")"), 400, "seed"},
      {"logprobs a string", "POST", kChat, chat(R"("logprobs":"yes")"), 400, "logprobs"},
      {"top_logprobs too many", "POST", kChat, chat(R"("logprobs":true,"top_logprobs":50)"), 400, "top_logprobs"},
      {"top_logprobs without logprobs", "POST", kChat, chat(R"("top_logprobs":2)"), 400, "top_logprobs"},
      {"tools", "POST", kChat, chat(R"("tools":[{"type":"function","function":{"name":"f"}}])"), 400, "tools"},
      {"json mode", "POST", kChat, chat(R"("response_format":{"type":"json_object"})"), 400, "response_format"},
      {"logit_bias", "POST", kChat, chat(R"("logit_bias":{"50256":-100})"), 400, "logit_bias"},
      {"model a number", "POST", kChat, chat(R"("model":7)"), 400, "model"},
      // --- completions
      {"prompt missing", "POST", kCompl, R"({"max_tokens":1})", 400, "prompt"},
      {"prompt a number", "POST", kCompl, R"({"prompt":5})", 400, "prompt"},
      {"prompt empty", "POST", kCompl, R"({"prompt":""})", 400, "prompt"},
      {"prompt empty array", "POST", kCompl, R"({"prompt":[]})", 400, "prompt"},
      {"two prompts", "POST", kCompl, R"({"prompt":["a","b"]})", 400, "prompt"},
      {"negative token id", "POST", kCompl, R"({"prompt":[1,-1]})", 400, "prompt"},
      {"token id beyond the vocabulary", "POST", kCompl, R"({"prompt":[1,99999999]})", 400, "prompt"},
      {"echo", "POST", kCompl, R"({"prompt":"a","echo":true})", 400, "echo"},
      {"best_of", "POST", kCompl, R"({"prompt":"a","best_of":3})", 400, "best_of"},
      {"legacy logprobs too many", "POST", kCompl, R"({"prompt":"a","logprobs":10})", 400, "logprobs"},
      {"prompt over the context", "POST", kCompl, nlohmann::json{{"prompt", long_prompt}}.dump(), 400, "prompt",
       "context_length_exceeded"},
      {"chat over the context", "POST", kChat,
       chat("", nlohmann::json::array({{{"role", "user"}, {"content", long_prompt}}}).dump()), 400, "messages",
       "context_length_exceeded"},
      // --- HTTP level
      {"body over the limit", "POST", kChat, std::string(100000, ' ') + chat(""), 413, "", "request_too_large"},
      {"unknown path", "POST", "/v1/nope", chat(""), 404, "", "not_found"},
      {"unknown GET path", "GET", "/v2/models", "", 404},
      {"GET on chat", "GET", kChat, "", 405, "", "method_not_allowed"},
      {"POST on health", "POST", "/health", "{}", 405},
      {"DELETE on models", "DELETE", "/v1/models", "", 405},
      {"PUT on completions", "PUT", kCompl, "{}", 405},
      // --- documented non-errors
      {"unknown fields are ignored", "POST", kChat, chat(R"("max_tokens":1,"frobnicate":{"x":[1,2]})"), 200},
      {"null means absent", "POST", kChat, chat(R"("max_tokens":1,"temperature":null,"stop":null,"seed":null)"), 200},
      {"any content type", "POST", kChat, chat(R"("max_tokens":1)"), 200, "", "", {"Content-Type: text/plain"}},
  };
}

TEST(MalformedRequests, EachGetsTheRight4xxAndTheServerStaysHealthy) {
  auto o = test_options();
  o.ctx_size = 256;
  o.max_body_bytes = 64 * 1024;
  auto srv = start_server(o);
  ASSERT_TRUE(srv);
  const int port = srv->port();
  int errors = 0;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    HttpResponse r = http(port, c.method, c.path, c.body, c.headers);
    ASSERT_EQ(r.status, c.status) << r.body;
    if (c.status >= 400) {
      ++errors;
      json j = parse_json(r.body);
      ASSERT_TRUE(j.contains("error")) << r.body;
      EXPECT_TRUE(j["error"]["message"].is_string());
      EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
      EXPECT_TRUE(j["error"]["type"].is_string());
      EXPECT_TRUE(j["error"].contains("param") && j["error"].contains("code")) << r.body;
      EXPECT_NE(r.headers["content-type"].find("application/json"), std::string::npos);
      if (!c.param.empty()) EXPECT_EQ(j["error"]["param"], c.param) << r.body;
      if (!c.code.empty()) EXPECT_EQ(j["error"]["code"], c.code) << r.body;
    }
    ASSERT_EQ(http(port, "GET", "/health").status, 200) << "unhealthy after: " << c.name;
  }
  EXPECT_GE(errors, 30);
  // Broken HTTP: a garbage request line, a body shorter than its Content-Length, a bad
  // length, a connection dropped mid-headers. Whatever the answer, the server survives.
  HttpResponse garbage = http_raw(port, "GARBAGE\r\n\r\n");
  EXPECT_EQ(garbage.status, 400);
  {
    HttpConnection c(port, 5);
    c.send_all("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mess");
    c.abort();
  }
  {
    HttpConnection c(port, 2);  // the server may wait for a body that never comes: do not wait with it
    c.send_all("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}");
    c.read_response();
    c.abort();
  }
  {
    HttpConnection c(port, 5);
    c.send_all("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Le");
    c.abort();
  }
  EXPECT_EQ(http(port, "GET", "/health").status, 200);
  auto ok = post_json(port, "/v1/chat/completions",
                      {{"messages", {{{"role", "user"}, {"content", "Hello"}}}}, {"max_tokens", 2}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_GE(parse_json(ok.body)["usage"]["completion_tokens"].get<int>(), 1);
}

}  // namespace
}  // namespace skim
