// core/result.h — Result<T>, Error, Status and SKIM_TRY. The type is part of the public
// API, so its definition lives in include/skim/result.h; internal code includes this.
#pragma once
#include "skim/result.h"
