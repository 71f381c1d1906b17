#pragma once
#include <cstdint>

namespace bdi {
// Bilinear upsampling of a [gridH, gridW] float32 map to [H, W] through precomputed taps (lower index and weight of
// the upper one, per output column/row), then a separable Gaussian blur (kernel of odd size, BORDER_REFLECT_101).
// Same arithmetic and summation order as the TypeScript reference (token-map.ts, gaussian-blur.ts): float64
// accumulation, float32 storage between passes, so the result is bit-identical.
void upsampleBlur(const float *grid, int64_t gridH, int64_t gridW, const int32_t *xIndex, const double *xWeight, int64_t W,
                  const int32_t *yIndex, const double *yWeight, int64_t H, const double *kernel, int64_t ksize, float *out);
// Values of heat where mask != 0, in raster order, into out (sized by the caller); returns how many.
int64_t maskedValues(const float *heat, const uint8_t *mask, int64_t n, float *out);
// The k-th smallest value of a (reordering a) and the (k+1)-th (equal to it when k is the last index).
void selectKth(float *a, int64_t n, int64_t k, float *kth, float *next);
// 8-bit visual: 0 outside the mask, uint8(trunc(clip((v - mn) / (mx - mn), 0, 1) * 255 + 0.5)) inside.
void heatToGray(const float *heat, const uint8_t *mask, int64_t n, double mn, double mx, uint8_t *out);
// PNG filter type 1 (Sub) on each row of an 8-bit single-channel image: out is [height, 1 + width], the filter
// byte first, then each byte minus its left neighbour (mod 256).
void pngSubRows(const uint8_t *gray, int64_t width, int64_t height, uint8_t *out);
}  // namespace bdi
