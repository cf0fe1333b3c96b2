// stop_matcher.cpp — stop strings over streamed text (see stop_matcher.h).
#include "sampling/stop_matcher.h"

#include <algorithm>
#include <utility>

namespace skim::sampling {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

StopMatcher::Check StopMatcher::check(std::string_view text) const {
  Check r;
  size_t best_end = std::string_view::npos;
  size_t best_start = 0;
  for (size_t i = 0; i < stops_.size(); ++i) {
    const std::string& s = stops_[i];
    if (s.empty()) continue;
    // The first occurrence of a stop has both its smallest start and its smallest end.
    const size_t pos = text.find(s);
    if (pos == std::string_view::npos) continue;
    const size_t end = pos + s.size();
    if (end < best_end || (end == best_end && pos < best_start)) {
      best_end = end;
      best_start = pos;
      r.stop_index = i;
    }
  }
  if (best_end != std::string_view::npos) {
    r.matched = true;
    r.match_pos = best_start;
    r.safe_bytes = best_start;
    return r;
  }
  // No match: hold back the longest suffix that is a proper prefix of some stop string.
  size_t hold_from = text.size();
  for (const std::string& s : stops_) {
    if (s.size() < 2) continue;  // a 1-byte stop has no proper non-empty prefix
    const size_t max_len = std::min(text.size(), s.size() - 1);
    for (size_t start = text.size() - max_len; start < hold_from; ++start) {
      const std::string_view tail = text.substr(start);
      if (std::string_view(s).starts_with(tail)) {
        hold_from = start;
        break;  // the earliest start for this stop string
      }
    }
  }
  r.safe_bytes = hold_from;
  return r;
}

StopMatcher::Feed StopMatcher::feed(std::string_view chunk) {
  if (stopped_) return Feed{{}, true, stop_index_};
  held_.append(chunk);
  const Check c = check(held_);
  out_.assign(held_, 0, c.safe_bytes);
  if (c.matched) {
    stopped_ = true;
    stop_index_ = c.stop_index;
    held_.clear();
  } else {
    held_.erase(0, c.safe_bytes);
  }
  return Feed{out_, c.matched, c.stop_index};
}

std::string_view StopMatcher::flush() {
  out_.clear();
  if (!stopped_) out_.swap(held_);
  return out_;
}

void StopMatcher::reset() {
  held_.clear();
  out_.clear();
  stopped_ = false;
  stop_index_ = 0;
}

}  // namespace skim::sampling
