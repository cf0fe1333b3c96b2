// result.h — errors as values at module and API boundaries (public: used by include/skim and
// by every internal module through core/result.h).
//
// Every fallible operation that can be caused by user input (files, prompts, requests)
// returns Result<T>: either a value or an Error with a one-line, human-readable message.
// Internal invariants use SKIM_CHECK (check.h) instead. Status is Result<void>.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace skim {

// A one-line message, ready to print after "error: ".
struct Error {
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error err) : err_(std::move(err)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace skim

// Propagate an error: `SKIM_TRY(auto x, parse());` binds x to the value or returns the error.
#define SKIM_CONCAT_INNER(a, b) a##b
#define SKIM_CONCAT(a, b) SKIM_CONCAT_INNER(a, b)
#define SKIM_TRY(decl, expr) SKIM_TRY_IMPL(decl, expr, SKIM_CONCAT(skim_try_, __LINE__))
#define SKIM_TRY_IMPL(decl, expr, tmp) \
  auto tmp = (expr);                   \
  if (!tmp.ok()) return tmp.error();   \
  decl = std::move(tmp).value()
// Propagate the error of a Status.
#define SKIM_RETURN_IF_ERROR(expr)          \
  do {                                      \
    auto skim_st_ = (expr);                 \
    if (!skim_st_.ok()) return skim_st_.error(); \
  } while (0)
