// packed_weights.h — row-interleaved copies of a model's matrices (kernels/packed.h), made
// once at engine load when the kernel table has packed kernels for their types. The copy
// holds the same bytes reordered; the mapped pages it was read from are released, so the
// resident set stays about one model's size. Owned by the engine; the views' `packed`
// pointers stay valid while it lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/kernels.h"
#include "model/model.h"

namespace skim {

struct PackedWeights {
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> buffer;
  size_t bytes = 0;
};

// Packs every matrix of `model` that kernels::packable() accepts and `kt` has a
// packed_gemm for, and points its view at the copy. Matrices without one are untouched.
PackedWeights pack_model_weights(Model& model, const kernels::KernelTable& kt);

}  // namespace skim
