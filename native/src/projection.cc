#include "projection.h"

#include <cstring>

namespace bdi {

void projectRows(const float *data, int64_t n, int64_t d, const float *proj, int64_t k, float *out) {
  for (int64_t i = 0; i < n; i++) {
    float *o = out + i * k;
    std::memset(o, 0, sizeof(float) * k);
    const float *x = data + i * d;
    // Row-of-proj accumulation keeps the inner loop contiguous so the compiler vectorises it.
    for (int64_t j = 0; j < d; j++) {
      const float v = x[j];
      if (v == 0.0f) continue;
      const float *p = proj + j * k;
      for (int64_t c = 0; c < k; c++) o[c] += v * p[c];
    }
  }
}

}  // namespace bdi
