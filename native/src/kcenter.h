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

// prune=false runs the textbook O(n*m*d) loop (kept as the reference and for benchmarks);
// prune=true gives the same selection using triangle-inequality bounds to skip most distances.
// abortFlag (may be null) is polled between selections, so a cancelled fit stops within milliseconds.
KCenterResult kCenterGreedy(const float *data, int64_t n, int64_t d, int64_t m, int64_t start, bool prune,
                            const int32_t *abortFlag = nullptr);

float l2Distance(const float *a, const float *b, int64_t d);

}  // namespace bdi
