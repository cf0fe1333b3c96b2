// progress.cpp — stderr progress bars with ETA: redrawn in place on a TTY, sparse lines otherwise.
#include "core/progress.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

namespace skim {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total > 0 ? total : 1),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::update(int64_t done, const std::string& suffix) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
  } else {
    int decile = static_cast<int>(10 * done / total_);
    if (decile == last_decile_) return;
    last_decile_ = decile;
  }
  last_draw_ = now;
  draw(done, suffix, false);
}

void ProgressBar::finish(const std::string& suffix) {
  if (!enabled_) return;
  if (!tty_ && last_decile_ == 10) return;  // the 100% line is already printed
  draw(total_, suffix, true);
}

void ProgressBar::draw(int64_t done, const std::string& suffix, bool final) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double frac = static_cast<double>(done) / static_cast<double>(total_);
  const int width = 30;
  const int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(width, '.');
  std::string eta = "--:--";
  if (done > 0 && !final) {
    const int secs = static_cast<int>(elapsed / frac - elapsed);
    eta = fmt::format("{:02d}:{:02d}", secs / 60, secs % 60);
  }
  const int es = static_cast<int>(elapsed);
  std::string line = fmt::format("{} [{}] {}/{} {:3.0f}% elapsed {:02d}:{:02d} eta {} {}", label_, bar, done, total_,
                                 100.0 * frac, es / 60, es % 60, eta, suffix);
  if (tty_) {
    fmt::print(stderr, "\r{}\x1b[K{}", line, final ? "\n" : "");
  } else {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

}  // namespace skim
