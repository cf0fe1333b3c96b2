// penalties.h — repetition / frequency / presence penalties over a window of recent tokens.
//
// Semantics follow llama.cpp's penalties sampler. For every distinct token t seen among
// the last `last_n` accepted tokens, with count c = occurrences in that window:
//   repeat:             logit > 0 ? logit / repeat : logit * repeat   (llama.cpp: <= 0 multiplies)
//   frequency/presence: logit -= c * frequency + (c > 0) * presence   (OpenAI)
// last_n == 0 disables all three; last_n == -1 means every token accepted since reset()
// (llama.cpp's "context size"). Neutral values (repeat 1, frequency 0, presence 0) make
// the whole stage a no-op, and then nothing is stored.
//
// Invariants: all storage is sized in the constructor (a ring of last_n tokens, counts
// and a distinct-token set over the vocabulary); accept() and apply() never allocate.
// apply() touches only the distinct tokens in the window, O(min(last_n, n_vocab)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace skim::sampling {

class PenaltyState {
 public:
  PenaltyState(float repeat, float frequency, float presence, int32_t last_n, int32_t n_vocab);

  // False when the stage cannot change any logit (neutral values or last_n == 0).
  bool enabled() const { return enabled_; }
  // True when enabled and the window holds at least one token.
  bool has_history() const { return enabled_ && !distinct_.empty(); }

  // Record a token (0 <= token < n_vocab). Evicts the oldest when the window is full.
  void accept(int32_t token);
  void reset();

  // Penalize logits[0..n_vocab) in place.
  void apply(std::span<float> logits) const;

  // Occurrences of `token` in the current window (0 when disabled).
  int32_t count(int32_t token) const;

 private:
  void add(int32_t token);
  void remove(int32_t token);

  float repeat_;
  float frequency_;
  float presence_;
  int32_t last_n_;  // > 0: window size; -1: unbounded
  int32_t n_vocab_;
  bool enabled_;

  std::vector<int32_t> ring_;  // the last last_n_ tokens (bounded window only)
  size_t ring_head_ = 0;       // index of the oldest entry
  size_t ring_size_ = 0;
  std::vector<int32_t> counts_;    // per token, occurrences in the window
  std::vector<int32_t> distinct_;  // tokens with counts_ > 0, unordered
  std::vector<int32_t> slot_;      // per token, its index in distinct_ or -1
};

}  // namespace skim::sampling
