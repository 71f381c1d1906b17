// Greedy k-center (farthest-first traversal) over row-major float32 points.
#pragma once
#include <cstdint>
#include <vector>

namespace bdi {

struct KCenterResult {
  std::vector<int32_t> indices;   // selected rows, selection order
  double radius = 0.0;            // covering radius after the last selection
  uint64_t distanceEvaluations = 0;
  bool aborted = false;  // stopped early because *abortFlag became non-zero
};

// The textbook farthest-first loop, fused into one streaming pass per selected centre (update nearest-centre
// distances and find the next farthest point together), vectorised. O(n*m*d) work but memory-friendly: on real
// patch features it beat a triangle-inequality-pruned variant 4-6x, whose cluster bookkeeping defeated the cache.
// abortFlag (may be null) is polled between selections, so a cancelled fit stops within milliseconds.
KCenterResult kCenterGreedy(const float *data, int64_t n, int64_t d, int64_t m, int64_t start,
                            const int32_t *abortFlag = nullptr, int threads = 1);

float l2Distance(const float *a, const float *b, int64_t d);

}  // namespace bdi
