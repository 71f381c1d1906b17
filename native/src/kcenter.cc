#include "kcenter.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bdi {

float l2Distance(const float *a, const float *b, int64_t d) {
  // Sixteen independent partial sums: the compiler vectorises this (a single running sum is a latency-bound chain
  // ~10x slower), and the fixed summation order keeps results deterministic.
  float acc[16] = {0};
  int64_t j = 0;
  for (; j + 16 <= d; j += 16) {
    for (int l = 0; l < 16; l++) {
      const float t = a[j + l] - b[j + l];
      acc[l] += t * t;
    }
  }
  float tail = 0.0f;
  for (; j < d; j++) {
    const float t = a[j] - b[j];
    tail += t * t;
  }
  for (int l = 0; l < 8; l++) acc[l] += acc[l + 8];
  for (int l = 0; l < 4; l++) acc[l] += acc[l + 4];
  return std::sqrt((acc[0] + acc[2]) + (acc[1] + acc[3]) + tail);
}

namespace {

inline bool abortRequested(const int32_t *flag, int64_t t) {
  return flag != nullptr && (t & 63) == 0 && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}

// One pass per new centre over contiguous rows: update each point's squared distance to its nearest centre and
// return the farthest point (first max). Compiled for AVX2 and a baseline target, picked at load time.
__attribute__((target_clones("avx2", "default"))) void updateNearest(const float *x, int64_t begin, int64_t end, int64_t d,
                                                                    const float *c, float *dmin2, int64_t *bestIndex,
                                                                    float *bestValue) {
  int64_t best = begin;
  float top = -1.0f;
  for (int64_t i = begin; i < end; i++) {
    const float *row = x + i * d;
    float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
    for (int64_t j = 0; j < d; j++) {
      const float t = row[j] - c[j];
      acc += t * t;
    }
    float v = dmin2[i];
    if (acc < v) v = dmin2[i] = acc;
    if (v > top) {
      top = v;
      best = i;
    }
  }
  *bestIndex = best;
  *bestValue = top;
}

// Splits the rows into contiguous blocks, one per thread; the first max over blocks keeps plain greedy's choice.
int64_t farthestAfterUpdate(const float *x, int64_t n, int64_t d, const float *c, float *dmin2, int threads) {
  if (threads <= 1 || n < 4096) {
    int64_t best;
    float top;
    updateNearest(x, 0, n, d, c, dmin2, &best, &top);
    return best;
  }
  std::vector<int64_t> bestIndex(threads);
  std::vector<float> bestValue(threads);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int b = 0; b < threads; b++) {
    const int64_t begin = n * b / threads;
    const int64_t end = n * (b + 1) / threads;
    updateNearest(x, begin, end, d, c, dmin2, &bestIndex[b], &bestValue[b]);
  }
  int b = 0;
  for (int k = 1; k < threads; k++)
    if (bestValue[k] > bestValue[b]) b = k;
  return bestIndex[b];
}

KCenterResult streamingGreedy(const float *x, int64_t n, int64_t d, int64_t m, int64_t start, const int32_t *abortFlag,
                              int threads) {
  KCenterResult res;
  res.indices.reserve(m);
  std::vector<float> dmin2(n, std::numeric_limits<float>::infinity());
  int64_t next = start;
  for (int64_t t = 0; t < m; t++) {
    if (abortRequested(abortFlag, t)) {
      res.aborted = true;
      return res;
    }
    res.indices.push_back(static_cast<int32_t>(next));
    next = farthestAfterUpdate(x, n, d, x + next * d, dmin2.data(), threads);
    res.distanceEvaluations += n;
  }
  res.radius = std::sqrt(std::max(0.0f, dmin2[next]));
  return res;
}

}  // namespace

KCenterResult kCenterGreedy(const float *data, int64_t n, int64_t d, int64_t m, int64_t start, const int32_t *abortFlag,
                            int threads) {
  if (m >= n) {
    KCenterResult all;
    for (int64_t i = 0; i < n; i++) all.indices.push_back(static_cast<int32_t>(i));
    return all;
  }
  return streamingGreedy(data, n, d, m, start, abortFlag, threads);
}

}  // namespace bdi
