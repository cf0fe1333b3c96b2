// task_data.h — loading the zero-shot task files of a data folder (skim/data.h) into one shape: an
// example is a list of (context, continuation) candidates plus the gold index; LAMBADA
// examples have a single candidate scored by exact greedy match.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace skim::eval {

struct Candidate {
  std::string context;       // text before the scored part
  std::string continuation;  // the scored text (starts with its separating space)
};

struct Example {
  std::vector<Candidate> candidates;
  int32_t gold = 0;
};

// Reads the task's file under data_dir; `limit` < 0 reads all examples.
Result<std::vector<Example>> load_task(const std::string& task, const std::string& data_dir, int32_t limit);

}  // namespace skim::eval
