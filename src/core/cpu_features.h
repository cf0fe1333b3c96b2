// cpu_features.h — what the running CPU can execute, read once with cpuid/xgetbv.
// The kernel dispatch table (kernels/dispatch.h) is built from this value.
#pragma once

#include <string>

namespace skim {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool amx_tile = false;
  bool amx_int8 = false;
  int physical_cores = 1;

  // Features of the CPU we are running on.
  static CpuFeatures detect();
  // A short human-readable list, e.g. "avx2 fma f16c avx512f avx512vnni".
  std::string describe() const;
};

}  // namespace skim
