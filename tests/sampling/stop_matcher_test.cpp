// stop_matcher_test.cpp — stop strings across chunk boundaries: partial matches are held
// back, emitted when they fail to match, and the result never depends on chunking.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sampling/stop_matcher.h"

namespace skim::sampling {
namespace {

struct Outcome {
  std::string emitted;
  bool stopped = false;
  size_t stop_index = 0;
};

// Streams `chunks` through a matcher, flushing at the end when no stop matched.
Outcome stream(const std::vector<std::string>& stops, const std::vector<std::string>& chunks) {
  StopMatcher m(stops);
  Outcome o;
  for (const std::string& c : chunks) {
    const auto f = m.feed(c);
    o.emitted += f.emit;
    if (f.stopped) {
      o.stopped = true;
      o.stop_index = f.stop_index;
      break;
    }
  }
  if (!o.stopped) o.emitted += m.flush();
  return o;
}

TEST(StopMatcher, HoldsPartialMatchThenStops) {
  StopMatcher m({"world"});
  auto f = m.feed("Hello w");
  EXPECT_EQ(f.emit, "Hello ");
  EXPECT_FALSE(f.stopped);
  EXPECT_EQ(m.held_bytes(), 1u);
  f = m.feed("or");
  EXPECT_EQ(f.emit, "");
  EXPECT_EQ(m.held_bytes(), 3u);
  f = m.feed("ld and more");
  EXPECT_TRUE(f.stopped);
  EXPECT_EQ(f.emit, "");
  EXPECT_TRUE(m.stopped());
  // After a stop nothing more comes out.
  f = m.feed("x");
  EXPECT_TRUE(f.stopped);
  EXPECT_EQ(f.emit, "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, ReleasesHeldTextWhenItStopsMatching) {
  StopMatcher m({"</s>"});
  auto f = m.feed("a<");
  EXPECT_EQ(f.emit, "a");
  f = m.feed("/");
  EXPECT_EQ(f.emit, "");
  f = m.feed("x>");
  EXPECT_EQ(f.emit, "</x>");
  EXPECT_FALSE(f.stopped);
  EXPECT_EQ(m.held_bytes(), 0u);
}

TEST(StopMatcher, FlushEmitsHeldTailAtEnd) {
  StopMatcher m({"###"});
  EXPECT_EQ(m.feed("answer #").emit, "answer ");
  EXPECT_EQ(m.feed("#").emit, "");
  EXPECT_EQ(m.flush(), "##");
  EXPECT_EQ(m.held_bytes(), 0u);
}

TEST(StopMatcher, StopInsideOneChunk) {
  const auto o = stream({"STOP"}, {"foo STOP bar"});
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.emitted, "foo ");
}

TEST(StopMatcher, NoStopsEmitsEverything) {
  StopMatcher m;
  EXPECT_EQ(m.feed("abc").emit, "abc");
  StopMatcher e({""});  // empty stop strings are ignored
  EXPECT_EQ(e.feed("abc").emit, "abc");
  EXPECT_FALSE(e.stopped());
}

TEST(StopMatcher, SelfOverlappingPrefix) {
  // "aaab" contains "aab" at 1: one 'a' is safe, the rest was held and is dropped.
  const auto o = stream({"aab"}, {"a", "a", "a", "b"});
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.emitted, "a");
}

TEST(StopMatcher, FirstCompletedMatchWinsAndIndexIsReported) {
  // "bc" completes (at byte 4) before "abcde" would (byte 6).
  auto o = stream({"abcde", "bc"}, {"xabcde"});
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.emitted, "xa");
  EXPECT_EQ(o.stop_index, 1u);
  // Same end: the longer (earlier start) wins, so no part of a stop leaks.
  o = stream({"b", "ab"}, {"xab"});
  EXPECT_EQ(o.emitted, "x");
  EXPECT_EQ(o.stop_index, 1u);
  // Identical spans: first in the list.
  o = stream({"ab", "ab"}, {"ab"});
  EXPECT_EQ(o.stop_index, 0u);
}

TEST(StopMatcher, ResultIndependentOfChunking) {
  const std::vector<std::string> stops = {"<|im_end|>", "\n\nUser:", "abcde", "cd"};
  const std::vector<std::string> texts = {
      "Hello there <|im_end|> trailing",
      "Line one\n\nUser: hi",
      "<|im_en <|im_end",
      "xxabcdyy",
      "no stop at all <|im",
      "\n\nUse\n\nUser",
  };
  for (const std::string& text : texts) {
    const Outcome whole = stream(stops, {text});
    // Every split into byte-sized chunks, and into pairs of chunks at every cut.
    std::vector<std::string> bytes;
    for (char c : text) bytes.emplace_back(1, c);
    const Outcome by_byte = stream(stops, bytes);
    EXPECT_EQ(by_byte.emitted, whole.emitted) << text;
    EXPECT_EQ(by_byte.stopped, whole.stopped) << text;
    EXPECT_EQ(by_byte.stop_index, whole.stop_index) << text;
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      const Outcome two = stream(stops, {text.substr(0, cut), text.substr(cut)});
      EXPECT_EQ(two.emitted, whole.emitted) << text << " cut " << cut;
      EXPECT_EQ(two.stopped, whole.stopped) << text << " cut " << cut;
    }
  }
  EXPECT_EQ(stream(stops, {"xxabcdyy"}).emitted, "xxab");
  EXPECT_EQ(stream(stops, {"no stop at all <|im"}).emitted, "no stop at all <|im");
}

TEST(StopMatcher, StatelessCheck) {
  const StopMatcher m({"<|end|>", "\nQ:"});
  auto c = m.check("answer <|en");
  EXPECT_FALSE(c.matched);
  EXPECT_EQ(c.safe_bytes, 7u);
  c = m.check("answer\n");
  EXPECT_EQ(c.safe_bytes, 6u);
  c = m.check("answer <|end|> more");
  EXPECT_TRUE(c.matched);
  EXPECT_EQ(c.match_pos, 7u);
  EXPECT_EQ(c.safe_bytes, 7u);
  EXPECT_EQ(c.stop_index, 0u);
  c = m.check("");
  EXPECT_FALSE(c.matched);
  EXPECT_EQ(c.safe_bytes, 0u);
  c = m.check("plain");
  EXPECT_EQ(c.safe_bytes, 5u);
}

TEST(StopMatcher, ResetStartsOver) {
  StopMatcher m({"end"});
  m.feed("the end");
  EXPECT_TRUE(m.stopped());
  m.reset();
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.feed("e").emit, "");
  EXPECT_EQ(m.feed("x").emit, "ex");
}

}  // namespace
}  // namespace skim::sampling
