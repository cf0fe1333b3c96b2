// fuzz_gguf.cpp — libFuzzer target for the GGUF reader: any byte string must parse into a
// File or an Error, never crash, hang or allocate without bound. Parsed values are walked
// so that lazy mistakes (bad string views, dangling tensor pointers) surface under ASan.
#include <cstddef>
#include <cstdint>

#include "format/gguf/gguf_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = skim::gguf::File::parse({data, size});
  if (!f) return 0;
  size_t sink = 0;
  for (const auto& [key, value] : f->metadata()) {
    sink += key.size() + value.to_string(4).size();
    if (const auto* a = value.as_array()) {
      for (const auto& item : a->items) sink += item.to_string().size();
    }
  }
  for (const auto& t : f->tensors()) {
    if (t.nbytes > 0) sink += t.data[0] + t.data[t.nbytes - 1];
  }
  return sink == 0xFFFFFFFF ? 1 : 0;
}
