// Anomaly-map post-processing on the worker thread: upsample + blur, order statistics, 8-bit visual.
#include "postprocess.h"

#include <algorithm>
#include <vector>

namespace bdi {
namespace {
inline int64_t reflect101(int64_t i, int64_t n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}
}  // namespace

// Built for AVX2 as well where the CPU has it (picked at load): -ffp-contract=off keeps every product and sum a
// separate IEEE operation, so the vector code gives the same bits as the scalar one and the TypeScript reference.
__attribute__((target_clones("avx2", "default")))
void upsampleBlur(const float *grid, int64_t gridH, int64_t gridW, const int32_t *xIndex, const double *xWeight, int64_t W,
                  const int32_t *yIndex, const double *yWeight, int64_t H, const double *kernel, int64_t ksize, float *out) {
  const int64_t half = (ksize - 1) / 2;
  // Each grid row's horizontal interpolation, once (the reference computes it per output row: same values).
  std::vector<double> across((size_t)(gridH * W));
  for (int64_t g = 0; g < gridH; g++) {
    const float *r = grid + g * gridW;
    double *dst = across.data() + g * W;
    for (int64_t x = 0; x < W; x++) {
      const int64_t c0 = xIndex[x];
      const int64_t c1 = std::min<int64_t>(c0 + 1, gridW - 1);
      const double fx = xWeight[x];
      dst[x] = (double)r[c0] * (1 - fx) + (double)r[c1] * fx;
    }
  }
  // Upsampled rows are produced on demand into a reflect-padded row, blurred horizontally into tmp.
  std::vector<float> tmp((size_t)(W * H));
  std::vector<double> padded((size_t)(W + 2 * half));
  std::vector<double> acc((size_t)W);
  for (int64_t y = 0; y < H; y++) {
    const double *top = across.data() + (int64_t)yIndex[y] * W;
    const double *bottom = across.data() + std::min<int64_t>(yIndex[y] + 1, gridH - 1) * W;
    const double fy = yWeight[y];
    double *row = padded.data() + half;
    // The upsampled value is stored as float32 between the passes, as in the reference.
    for (int64_t x = 0; x < W; x++) row[x] = (double)(float)(top[x] * (1 - fy) + bottom[x] * fy);
    for (int64_t i = 1; i <= half; i++) {
      row[-i] = row[reflect101(-i, W)];
      row[W - 1 + i] = row[reflect101(W - 1 + i, W)];
    }
    // Tap-major loops (vectorisable); each pixel still sums its taps in kernel order starting from 0.
    float *dst = tmp.data() + y * W;
    for (int64_t x = 0; x < W; x++) acc[x] = 0;
    for (int64_t t = 0; t < ksize; t++) {
      const double kt = kernel[t];
      const double *src = padded.data() + t;
      for (int64_t x = 0; x < W; x++) acc[x] += kt * src[x];
    }
    for (int64_t x = 0; x < W; x++) dst[x] = (float)acc[x];
  }
  std::vector<const float *> rows((size_t)ksize);
  for (int64_t y = 0; y < H; y++) {
    for (int64_t t = 0; t < ksize; t++) rows[t] = tmp.data() + reflect101(y + t - half, H) * W;
    float *dst = out + y * W;
    for (int64_t x = 0; x < W; x++) acc[x] = 0;
    for (int64_t t = 0; t < ksize; t++) {
      const double kt = kernel[t];
      const float *src = rows[t];
      for (int64_t x = 0; x < W; x++) acc[x] += kt * (double)src[x];
    }
    for (int64_t x = 0; x < W; x++) dst[x] = (float)acc[x];
  }
}

int64_t maskedValues(const float *heat, const uint8_t *mask, int64_t n, float *out) {
  int64_t j = 0;
  for (int64_t i = 0; i < n; i++) {
    out[j] = heat[i];
    j += mask[i] != 0;
  }
  return j;
}

namespace {
// Moves a block that holds the k-th smallest to one end of a, the rest of a strictly beyond it: [lo, hi) with every
// value left of lo smaller and every value from hi on larger than the block's. The cut is a value of a strided
// sample a little beyond k's rank, so for k near an end (the 1st and 99th percentiles of a map) the block is a few
// percent of a and one partitioning pass replaces most of quickselect's. False when the sample misjudged (a is
// then permuted, nothing more).
bool narrowToBlock(float *a, int64_t n, int64_t k, int64_t *lo, int64_t *hi) {
  constexpr int64_t kSample = 1024;
  constexpr int64_t kMargin = 16;  // sample ranks: about five standard deviations at the 1st/99th percentile
  std::vector<float> sample((size_t)kSample);
  for (int64_t i = 0; i < kSample; i++) sample[i] = a[i * n / kSample];
  std::sort(sample.begin(), sample.end());
  if (2 * k >= n) {
    const int64_t j = k * kSample / n - kMargin;
    if (j < 0) return false;
    const float cut = sample[j];
    *lo = std::partition(a, a + n, [cut](float v) { return v < cut; }) - a;
    *hi = n;
  } else {
    const int64_t j = k * kSample / n + kMargin;
    if (j >= kSample) return false;
    const float cut = sample[j];
    *lo = 0;
    *hi = std::partition(a, a + n, [cut](float v) { return v <= cut; }) - a;
  }
  return *lo <= k && k < *hi;
}
}  // namespace

void selectKth(float *a, int64_t n, int64_t k, float *kth, float *next) {
  int64_t lo = 0, hi = n;
  const int64_t nearerEnd = std::min(k, n - 1 - k);
  if (!(n >= 8192 && nearerEnd * 8 < n && narrowToBlock(a, n, k, &lo, &hi))) {
    lo = 0;
    hi = n;
  }
  std::nth_element(a + lo, a + k, a + hi);
  *kth = a[k];
  // The next value: the block's smallest right of k, else the smallest beyond the block.
  if (k + 1 < hi) *next = *std::min_element(a + k + 1, a + hi);
  else *next = hi < n ? *std::min_element(a + hi, a + n) : a[k];
}

void heatToGray(const float *heat, const uint8_t *mask, int64_t n, double mn, double mx, uint8_t *out) {
  const double range = mx - mn;
  for (int64_t i = 0; i < n; i++) {
    if (mask[i] == 0) {
      out[i] = 0;
      continue;
    }
    double v = ((double)heat[i] - mn) / range;
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    out[i] = (uint8_t)(int64_t)(v * 255 + 0.5);
  }
}

void pngSubRows(const uint8_t *gray, int64_t width, int64_t height, uint8_t *out) {
  for (int64_t y = 0; y < height; y++) {
    const uint8_t *src = gray + y * width;
    uint8_t *dst = out + y * (width + 1);
    dst[0] = 1;
    if (width == 0) continue;
    dst[1] = src[0];
    for (int64_t x = 1; x < width; x++) dst[1 + x] = (uint8_t)(src[x] - src[x - 1]);
  }
}
}  // namespace bdi
