// api_error.h — an HTTP error in OpenAI's shape, and a value-or-error result for request
// handling: {"error": {"message", "type", "param", "code"}} with the HTTP status.
//
// Types follow OpenAI: 400 invalid_request_error, 401 authentication_error (code
// invalid_api_key), 404 not_found_error, 405/413 invalid_request_error, 503
// server_error-family (unavailable_error as llama.cpp), 500 server_error.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <variant>

namespace skim::server {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // the offending request field, empty when none
  std::string code;   // machine-readable code, empty when none

  nlohmann::json to_json() const {
    nlohmann::json e = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
    if (!param.empty()) e["param"] = param;
    if (!code.empty()) e["code"] = code;
    return nlohmann::json{{"error", std::move(e)}};
  }
};

inline ApiError invalid_request(std::string message, std::string param = {}, std::string code = {}) {
  return ApiError{400, std::move(message), "invalid_request_error", std::move(param), std::move(code)};
}

inline ApiError unavailable(std::string message) {
  return ApiError{503, std::move(message), "unavailable_error", {}, "unavailable"};
}

inline ApiError internal_error(std::string message) {
  return ApiError{500, std::move(message), "server_error", {}, "internal_error"};
}

// A value or an ApiError (errors as values at the HTTP boundary).
template <class T>
class ApiResult {
 public:
  ApiResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}    // NOLINT: implicit by design
  ApiResult(ApiError err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace skim::server
