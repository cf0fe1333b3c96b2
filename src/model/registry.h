// registry.h — from a GGUF file to a Model: the architecture named in
// `general.architecture` picks the loader. Adding an architecture is one folder under
// model/ and one line in registry.cpp.
#pragma once

#include <memory>

#include "core/result.h"
#include "format/gguf/gguf_file.h"
#include "model/model.h"

namespace skim {

// The file must outlive the model (weights point into its mapping).
Result<std::unique_ptr<Model>> load_model(const gguf::File& file);

}  // namespace skim
