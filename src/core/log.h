// log.h — logging to stderr. Results go to stdout; everything a human reads about
// progress, timing or warnings goes through these functions to stderr.
// The verbosity is an explicit value passed by the caller (no global state).
#pragma once

#include <fmt/core.h>

#include <cstdio>

namespace skim {

enum class LogLevel { kQuiet = 0, kInfo = 1, kDebug = 2 };

template <class... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "{}\n", fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
void log_warn(fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "warning: {}\n", fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace skim
