// inspect.cpp — `skim info`: metadata and tensor table of a GGUF file, as text or JSON.
#include "skim/inspect.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <map>
#include <nlohmann/json.hpp>

#include "format/gguf/gguf_file.h"

namespace skim {

namespace {

nlohmann::json to_json(const gguf::Value& v, size_t max_items) {
  if (auto s = v.as_string()) return std::string(*s);
  if (auto b = v.as_bool()) return *b;
  if (const gguf::Array* a = v.as_array()) {
    nlohmann::json arr = nlohmann::json::array();
    for (size_t i = 0; i < a->items.size() && i < max_items; ++i) arr.push_back(to_json(a->items[i], max_items));
    return nlohmann::json{{"type", std::string(gguf::value_type_name(a->elem_type))},
                          {"count", a->items.size()},
                          {"head", arr}};
  }
  if (v.type == gguf::ValueType::kFloat32 || v.type == gguf::ValueType::kFloat64) return *v.as_float();
  if (auto i = v.as_int()) return *i;
  return std::get<uint64_t>(v.v);
}

}  // namespace

Result<std::string> inspect_gguf(const std::string& path, const InspectOptions& opt) {
  SKIM_TRY(gguf::File f, gguf::File::open(path));
  std::map<std::string, std::pair<int, uint64_t>> by_type;  // type -> (count, bytes)
  uint64_t params = 0;
  for (const auto& t : f.tensors()) {
    auto& e = by_type[std::string(t.type_name())];
    e.first++;
    e.second += t.nbytes;
    params += static_cast<uint64_t>(t.n_elements());
  }
  auto str = [&](const char* k) -> std::string {
    const gguf::Value* v = f.find(k);
    return v && v->as_string() ? std::string(*v->as_string()) : std::string("?");
  };

  if (opt.json) {
    nlohmann::json j;
    j["path"] = path;
    j["file_bytes"] = f.file_size();
    j["version"] = f.version();
    j["alignment"] = f.alignment();
    j["architecture"] = str("general.architecture");
    j["name"] = str("general.name");
    j["n_tensors"] = f.tensors().size();
    j["n_params"] = params;
    nlohmann::json types = nlohmann::json::object();
    for (const auto& [name, e] : by_type) types[name] = {{"tensors", e.first}, {"bytes", e.second}};
    j["tensor_types"] = types;
    if (!opt.brief) {
      nlohmann::json md = nlohmann::json::object();
      for (const auto& [k, v] : f.metadata()) md[k] = to_json(v, 16);
      j["metadata"] = md;
      nlohmann::json ts = nlohmann::json::array();
      for (const auto& t : f.tensors()) {
        ts.push_back({{"name", t.name}, {"type", std::string(t.type_name())}, {"shape", t.shape},
                      {"offset", t.offset}, {"bytes", t.nbytes}});
      }
      j["tensors"] = ts;
    }
    return j.dump(2) + "\n";
  }

  std::string out;
  out += fmt::format("file:          {} ({:.1f} MiB, GGUF v{}, alignment {})\n", path,
                     static_cast<double>(f.file_size()) / (1 << 20), f.version(), f.alignment());
  out += fmt::format("architecture:  {}\nname:          {}\n", str("general.architecture"), str("general.name"));
  out += fmt::format("tensors:       {} ({:.1f} M parameters)\n", f.tensors().size(), static_cast<double>(params) / 1e6);
  for (const auto& [name, e] : by_type) {
    out += fmt::format("  {:<6} {:4} tensors {:8.2f} MiB\n", name, e.first, static_cast<double>(e.second) / (1 << 20));
  }
  if (opt.brief) return out;
  out += fmt::format("\nmetadata ({} keys):\n", f.metadata().size());
  for (const auto& [k, v] : f.metadata()) out += fmt::format("  {:<42} {}\n", k, v.to_string(6));
  out += "\ntensors:\n";
  out += fmt::format("  {:<32} {:<6} {:<16} {:>12}\n", "name", "type", "shape", "bytes");
  for (const auto& t : f.tensors()) {
    out += fmt::format("  {:<32} {:<6} {:<16} {:>12}\n", t.name, t.type_name(), fmt::format("{}", t.shape), t.nbytes);
  }
  return out;
}

}  // namespace skim
