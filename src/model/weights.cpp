// weights.cpp — binds GGUF tensors to TensorViews with shape and type checks (no copies).
#include "model/weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace skim {

Result<TensorView> bind_tensor(const gguf::File& f, const std::string& name, std::vector<int64_t> shape) {
  const gguf::TensorInfo* t = f.find_tensor(name);
  if (!t) return make_error(fmt::format("missing tensor '{}'", name));
  if (t->shape != shape) {
    return make_error(fmt::format("tensor '{}' has shape {}, expected {}", name, t->shape, shape));
  }
  auto dt = dtype_from_ggml(t->type);
  if (!dt) return make_error(fmt::format("tensor '{}' has unsupported type {}", name, t->type_name()));
  if (shape.size() > 2) return make_error(fmt::format("tensor '{}': only 1-D and 2-D weights supported", name));
  const int64_t cols = shape.back();
  const int64_t rows = shape.size() == 2 ? shape[0] : 1;
  return TensorView::matrix(*dt, rows, cols, t->data);
}

Result<const float*> bind_f32_vector(const gguf::File& f, const std::string& name, int64_t n) {
  const gguf::TensorInfo* t = f.find_tensor(name);
  if (!t) return make_error(fmt::format("missing tensor '{}'", name));
  if (t->shape != std::vector<int64_t>{n}) {
    return make_error(fmt::format("tensor '{}' has shape {}, expected [{}]", name, t->shape, n));
  }
  if (t->type != 0) return make_error(fmt::format("tensor '{}' has type {}, expected F32", name, t->type_name()));
  if (reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0) {
    return make_error(fmt::format("tensor '{}' is misaligned", name));
  }
  return reinterpret_cast<const float*>(t->data);
}

}  // namespace skim
