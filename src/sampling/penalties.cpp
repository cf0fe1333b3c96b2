// penalties.cpp — windowed repetition / frequency / presence penalties (see penalties.h).
#include "sampling/penalties.h"

#include "core/check.h"

namespace skim::sampling {

PenaltyState::PenaltyState(float repeat, float frequency, float presence, int32_t last_n,
                           int32_t n_vocab)
    : repeat_(repeat),
      frequency_(frequency),
      presence_(presence),
      last_n_(last_n),
      n_vocab_(n_vocab),
      enabled_(last_n != 0 && (repeat != 1.0f || frequency != 0.0f || presence != 0.0f)) {
  SKIM_CHECK(n_vocab > 0 && last_n >= -1);
  if (!enabled_) return;
  if (last_n_ > 0) ring_.assign(static_cast<size_t>(last_n_), 0);
  counts_.assign(static_cast<size_t>(n_vocab_), 0);
  slot_.assign(static_cast<size_t>(n_vocab_), -1);
  const size_t max_distinct =
      last_n_ > 0 && last_n_ < n_vocab_ ? static_cast<size_t>(last_n_) : static_cast<size_t>(n_vocab_);
  distinct_.reserve(max_distinct);
}

void PenaltyState::add(int32_t token) {
  if (counts_[token]++ == 0) {
    slot_[token] = static_cast<int32_t>(distinct_.size());
    distinct_.push_back(token);  // within the reserved capacity: no allocation
  }
}

void PenaltyState::remove(int32_t token) {
  if (--counts_[token] == 0) {
    const int32_t s = slot_[token];
    const int32_t moved = distinct_.back();
    distinct_[static_cast<size_t>(s)] = moved;
    slot_[moved] = s;
    distinct_.pop_back();
    slot_[token] = -1;
  }
}

void PenaltyState::accept(int32_t token) {
  SKIM_CHECK(token >= 0 && token < n_vocab_);
  if (!enabled_) return;
  if (last_n_ < 0) {  // unbounded window
    add(token);
    return;
  }
  const size_t cap = ring_.size();
  if (ring_size_ == cap) {  // full: overwrite the oldest
    remove(ring_[ring_head_]);
    ring_[ring_head_] = token;
    ring_head_ = (ring_head_ + 1) % cap;
  } else {
    ring_[(ring_head_ + ring_size_) % cap] = token;
    ++ring_size_;
  }
  add(token);
}

void PenaltyState::reset() {
  for (int32_t t : distinct_) {
    counts_[t] = 0;
    slot_[t] = -1;
  }
  distinct_.clear();
  ring_head_ = 0;
  ring_size_ = 0;
}

void PenaltyState::apply(std::span<float> logits) const {
  SKIM_CHECK(logits.size() == static_cast<size_t>(n_vocab_));
  for (int32_t t : distinct_) {
    const int32_t c = counts_[t];
    float& l = logits[static_cast<size_t>(t)];
    if (l <= 0.0f) {
      l *= repeat_;
    } else {
      l /= repeat_;
    }
    l -= static_cast<float>(c) * frequency_ + presence_;  // c > 0 for every distinct token
  }
}

int32_t PenaltyState::count(int32_t token) const {
  if (!enabled_ || token < 0 || token >= n_vocab_) return 0;
  return counts_[token];
}

}  // namespace skim::sampling
