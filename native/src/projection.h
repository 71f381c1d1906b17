#pragma once
#include <cstdint>

namespace bdi {
// out[n,k] = data[n,d] x proj[d,k], all row-major float32.
void projectRows(const float *data, int64_t n, int64_t d, const float *proj, int64_t k, float *out);
}
