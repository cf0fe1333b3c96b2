// stop_matcher.h — stop strings over streamed text.
//
// Generated text arrives in chunks (token pieces). A stop string may straddle chunks, so
// the tail of the text that could still grow into a stop string is held back until it
// either completes a stop (generation ends, the stop string is not emitted) or turns out
// not to match (then it is emitted).
//
// Semantics are those of a byte-by-byte stream, so the result never depends on how the
// text was chunked: the match is the one that *completes* first (smallest end); among
// those, the one that starts first (longest); among equal spans, the first in the list.
// The text before the match is emitted. Emitted text never contains a whole stop string.
//
// Matching is on bytes; holding back a partial UTF-8 sequence is the detokenizer's job.
// Empty stop strings are ignored.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace skim::sampling {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops = {});

  struct Check {
    size_t safe_bytes = 0;    // prefix of the text that can be emitted now
    bool matched = false;     // a stop string occurs; then safe_bytes == match_pos
    size_t match_pos = 0;     // byte offset of the matched stop string (when matched)
    size_t stop_index = 0;    // which stop string (index into stops(), when matched)
  };
  // Stateless: examines `text` (everything generated and not yet emitted).
  Check check(std::string_view text) const;

  struct Feed {
    std::string_view emit;  // safe to emit now; valid until the next call on this object
    bool stopped = false;   // a stop string completed; later feeds emit nothing
    size_t stop_index = 0;  // which stop string (when stopped)
  };
  // Streaming: appends a chunk, returns what became safe to emit.
  Feed feed(std::string_view chunk);
  // End of generation without a stop: the held-back text (empty after a stop).
  std::string_view flush();
  // Bytes currently held back.
  size_t held_bytes() const { return held_.size(); }
  bool stopped() const { return stopped_; }
  void reset();

  const std::vector<std::string>& stops() const { return stops_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;  // text that might still start a stop string
  std::string out_;   // backing store for the last returned view
  bool stopped_ = false;
  size_t stop_index_ = 0;
};

}  // namespace skim::sampling
