// data_lookup.cpp — the data lookup of include/skim/data.h: $SKIM_DATA, then
// ../shared/data beside the source tree (SKIM_SOURCE_DIR, set by CMake for this file).
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "skim/data.h"

#ifndef SKIM_SOURCE_DIR
#define SKIM_SOURCE_DIR ""
#endif

namespace skim {

namespace fs = std::filesystem;

namespace {

std::string source_tree_data() {
  const std::string src = SKIM_SOURCE_DIR;
  return src.empty() ? std::string() : (fs::path(src).parent_path() / "shared" / "data").string();
}

}  // namespace

DataRoot find_data_root() {
  if (const char* env = std::getenv("SKIM_DATA"); env && *env) return {env, DataOrigin::kEnvironment};
  std::error_code ec;
  if (const std::string dev = source_tree_data(); !dev.empty() && fs::is_directory(dev, ec)) {
    return {fs::weakly_canonical(dev, ec).string(), DataOrigin::kSourceTree};
  }
  return {};
}

std::string data_lookup_summary() {
  const DataRoot root = find_data_root();
  switch (root.origin) {
    case DataOrigin::kEnvironment: return fmt::format("looked in $SKIM_DATA ({})", root.dir);
    case DataOrigin::kSourceTree: return fmt::format("looked in {}", root.dir);
    case DataOrigin::kNone: break;
  }
  const std::string dev = source_tree_data();
  return fmt::format("SKIM_DATA is unset and there is no {}", dev.empty() ? "../shared/data" : dev);
}

Result<std::string> find_data(std::string_view rel, std::string_view how) {
  const DataRoot root = find_data_root();
  std::error_code ec;
  if (root.origin != DataOrigin::kNone) {
    const fs::path p = fs::path(root.dir) / rel;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return make_error(fmt::format("{} not found ({}); {}, or set SKIM_DATA to a folder holding {}", rel,
                                data_lookup_summary(), how, rel));
}

std::vector<std::string> text_files(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".txt" && e.is_regular_file(ec)) files.push_back(fs::weakly_canonical(e.path(), ec).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> default_calibration_files() {
  const DataRoot root = find_data_root();
  if (root.origin == DataOrigin::kNone) return {};
  return text_files((fs::path(root.dir) / "calibration").string());
}

}  // namespace skim
