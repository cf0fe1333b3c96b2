// cpu_features.cpp — CPUID/XGETBV probing of the SIMD features the kernels need (see cpu_features.h).
#include "core/cpu_features.h"

#include <cpuid.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace skim {
namespace {

uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

// Physical cores from /proc/cpuinfo ("physical id" x "core id" pairs); falls back to
// the number of online logical CPUs.
int count_physical_cores() {
  std::ifstream in("/proc/cpuinfo");
  std::set<std::pair<int, int>> cores;
  std::string line;
  int phys = 0;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    std::string val = line.substr(colon + 1);
    if (key == "physical id") phys = std::atoi(val.c_str());
    if (key == "core id") cores.insert({phys, std::atoi(val.c_str())});
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores.empty()) return online > 0 ? static_cast<int>(online) : 1;
  return static_cast<int>(cores.size());
}

}  // namespace

CpuFeatures CpuFeatures::detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  const bool avx = (c >> 28) & 1;
  f.fma = (c >> 12) & 1;
  f.f16c = (c >> 29) & 1;
  uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool ymm_ok = (xcr0 & 0x6) == 0x6;
  const bool zmm_ok = (xcr0 & 0xE6) == 0xE6;
  const bool amx_ok = (xcr0 & (3ull << 17)) == (3ull << 17);
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = avx && ymm_ok && ((b >> 5) & 1);
    f.avx512f = zmm_ok && ((b >> 16) & 1);
    f.avx512bw = zmm_ok && ((b >> 30) & 1);
    f.avx512dq = zmm_ok && ((b >> 17) & 1);
    f.avx512vl = zmm_ok && ((b >> 31) & 1);
    f.avx512vnni = zmm_ok && ((c >> 11) & 1);
    f.amx_tile = amx_ok && ((d >> 24) & 1);
    f.amx_int8 = amx_ok && ((d >> 25) & 1);
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512bf16 = zmm_ok && ((a >> 5) & 1);
  f.fma = f.fma && ymm_ok;
  f.physical_cores = count_physical_cores();
  return f;
}

std::string CpuFeatures::describe() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(avx2, "avx2");
  add(fma, "fma");
  add(f16c, "f16c");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512dq, "avx512dq");
  add(avx512vl, "avx512vl");
  add(avx512vnni, "avx512vnni");
  add(avx512bf16, "avx512bf16");
  add(amx_tile, "amx-tile");
  add(amx_int8, "amx-int8");
  return s.empty() ? "scalar" : s;
}

}  // namespace skim
