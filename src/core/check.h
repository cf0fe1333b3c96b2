// check.h — internal invariants. A failed SKIM_CHECK is a bug in skim, never a user error:
// it prints file:line and aborts. User-caused failures are Result/Error values instead.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SKIM_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "skim: internal check failed at %s:%d: %s\n", __FILE__,   \
                   __LINE__, #cond);                                                  \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)
