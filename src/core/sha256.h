// sha256.h — SHA-256 (FIPS 180-4), used to pin downloaded models and to key sidecar files
// and on-disk caches to the exact model they were made for.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"

namespace skim {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> data);
  std::array<uint8_t, 32> finish();
  static std::string hex(const std::array<uint8_t, 32>& digest);

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// Hex digest of a byte span, and of a whole file (read in chunks).
std::string sha256_hex(std::span<const uint8_t> data);
Result<std::string> sha256_file(const std::string& path);

}  // namespace skim
