// progress.h — a progress bar with rate and ETA on stderr, for long work (perplexity,
// calibration, sweeps). On a terminal it redraws one line (at most ~10 times a second);
// otherwise it prints a line at every 10% so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace skim {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  // Set progress to `done` of total, with an optional suffix such as "ppl 17.3".
  void update(int64_t done, const std::string& suffix = "");
  void finish(const std::string& suffix = "");

 private:
  void draw(int64_t done, const std::string& suffix, bool final);
  std::string label_;
  int64_t total_;
  bool enabled_, tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace skim
