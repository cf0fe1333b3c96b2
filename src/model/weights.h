// weights.h — binding GGUF tensors to a model's weight fields, with shape and type checks
// that turn a wrong or incomplete file into a one-line error.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "format/gguf/gguf_file.h"
#include "tensor/tensor_view.h"

namespace skim {

// The tensor `name` as a view, checked to have exactly `shape` (PyTorch order) and a
// dtype skim computes with.
Result<TensorView> bind_tensor(const gguf::File& f, const std::string& name, std::vector<int64_t> shape);
// Same for 1-D F32 tensors (norm weights): returns the float pointer.
Result<const float*> bind_f32_vector(const gguf::File& f, const std::string& name, int64_t n);

}  // namespace skim
