// mmap_file.h — a read-only memory map of a whole file (RAII, move-only).
// Model weights are used in place from this mapping; nothing is copied at load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"

namespace skim {

// Drops this process's pages of a read-only file mapping inside [p, p + n) (whole pages
// only); they are read again from the file if touched later. Lowers the resident set
// after a mapped range was copied elsewhere. A no-op where the range holds no whole page.
void release_mapped_pages(const void* p, size_t n);

class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace skim
