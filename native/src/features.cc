// Feature-row loops of the worker's request path: input tensor, output layout, block normalisation, position
// channels, context means. Each was a JS loop over 40 k–150 k values; here each is a few tens of microseconds.
#include "features.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace bdi {

void planarInput(const uint8_t *rgb, int64_t plane, const float *tables, const int32_t *source, float *out) {
  for (int c = 0; c < 3; c++) {
    const float *table = tables + c * 256;
    const uint8_t *in = rgb + source[c];
    float *dst = out + c * plane;
    for (int64_t i = 0; i < plane; i++) dst[i] = table[in[3 * i]];
  }
}

void copyColumns(const float *data, int64_t plane, int64_t channels, int64_t pixelStride, int64_t channelStride, float *out,
                 int64_t outDim, int64_t column) {
  for (int64_t i = 0; i < plane; i++) {
    float *row = out + i * outDim + column;
    const float *src = data + i * pixelStride;
    for (int64_t ch = 0; ch < channels; ch++) row[ch] = src[ch * channelStride];
  }
}

void normaliseRows(float *rows, int64_t n, int64_t dim, const int32_t *blocks, int64_t nBlocks, const double *floors,
                   const double *weights, bool unitNorm) {
  for (int64_t i = 0; i < n; i++) {
    float *row = rows + i * dim;
    int64_t start = 0;
    double total = 0;
    for (int64_t b = 0; b < nBlocks; b++) {
      const int64_t end = start + blocks[b];
      double sum = 0;
      for (int64_t j = start; j < end; j++) sum += (double)row[j] * (double)row[j];
      const double scale = weights[b] / std::sqrt(sum + floors[b] * floors[b] + 1e-24);
      for (int64_t j = start; j < end; j++) row[j] = (float)((double)row[j] * scale);
      total += sum * scale * scale;
      start = end;
    }
    if (unitNorm) {
      const double inv = 1 / (std::sqrt(total) + 1e-8);
      for (int64_t j = 0; j < dim; j++) row[j] = (float)((double)row[j] * inv);
    }
  }
}

void appendPosition(const float *rows, int64_t gridH, int64_t gridW, int64_t dim, double weight, float *out) {
  const int64_t outDim = dim + 2;
  for (int64_t r = 0; r < gridH; r++) {
    const double y = ((2 * (r + 0.5)) / gridH - 1) * weight;
    for (int64_t c = 0; c < gridW; c++) {
      const int64_t cell = r * gridW + c;
      float *o = out + cell * outDim;
      std::copy(rows + cell * dim, rows + (cell + 1) * dim, o);
      o[dim] = (float)(((2 * (c + 0.5)) / gridW - 1) * weight);
      o[dim + 1] = (float)y;
    }
  }
}

void contextMeans(const float *rows, int64_t gridH, int64_t gridW, int64_t dim, int64_t x0, int64_t x1, int64_t y0, int64_t y1,
                  int64_t window, int64_t stride, float *out) {
  const int64_t stride1 = gridW + 1;
  std::vector<double> table((gridH + 1) * stride1 * dim, 0.0);
  for (int64_t y = 0; y < gridH; y++) {
    for (int64_t x = 0; x < gridW; x++) {
      const bool inside = y >= y0 && y < y1 && x >= x0 && x < x1;
      double *cell = &table[((y + 1) * stride1 + x + 1) * dim];
      const double *up = &table[(y * stride1 + x + 1) * dim];
      const double *left = &table[((y + 1) * stride1 + x) * dim];
      const double *diagonal = &table[(y * stride1 + x) * dim];
      const float *src = rows + (y * gridW + x) * dim;
      for (int64_t j = 0; j < dim; j++) cell[j] = (inside ? (double)src[j] : 0.0) + up[j] + left[j] - diagonal[j];
    }
  }
  const int64_t outH = (gridH + stride - 1) / stride, outW = (gridW + stride - 1) / stride;
  const int64_t half = window >> 1;
  for (int64_t cy = 0; cy < outH; cy++) {
    const int64_t y = std::min(y1 - 1, std::max(y0, cy * stride));
    const int64_t top = std::max(y0, y - half), bottom = std::min(y1, y + half + 1);
    for (int64_t cx = 0; cx < outW; cx++) {
      const int64_t x = std::min(x1 - 1, std::max(x0, cx * stride));
      const int64_t leftX = std::max(x0, x - half), rightX = std::min(x1, x + half + 1);
      const double inv = 1.0 / (double)((bottom - top) * (rightX - leftX));
      const double *a = &table[(bottom * stride1 + rightX) * dim];
      const double *b = &table[(top * stride1 + rightX) * dim];
      const double *c = &table[(bottom * stride1 + leftX) * dim];
      const double *d = &table[(top * stride1 + leftX) * dim];
      float *dst = out + (cy * outW + cx) * dim;
      for (int64_t j = 0; j < dim; j++) dst[j] = (float)((a[j] - b[j] - c[j] + d[j]) * inv);
    }
  }
}

}  // namespace bdi
