#pragma once
#include <cstdint>

namespace bdi {
// The per-request loops between the decoded crop and the kNN query rows, with the float64 arithmetic and float32
// stores of the TypeScript they replaced (-ffp-contract=off), so every row is bit-identical.

// Interleaved 8-bit RGB [plane, 3] -> planar [3, plane]: channel c reads source channel source[c] through
// tables[c * 256 + value].
void planarInput(const uint8_t *rgb, int64_t plane, const float *tables, const int32_t *source, float *out);

// Value (pixel i, channel ch) of `data`, at i * pixelStride + ch * channelStride, to out[i * outDim + column + ch]:
// a planar map's channels-last transpose (pixelStride 1, channelStride plane), or one block of a channel concat.
void copyColumns(const float *data, int64_t plane, int64_t channels, int64_t pixelStride, int64_t channelStride, float *out,
                 int64_t outDim, int64_t column);

// Rows [n, dim]: block b (blocks[b] channels) scaled by weights[b] / sqrt(|block|² + floors[b]² + 1e-24); then,
// with unitNorm, the whole row by 1 / (|row| + 1e-8). In place.
void normaliseRows(float *rows, int64_t n, int64_t dim, const int32_t *blocks, int64_t nBlocks, const double *floors,
                   const double *weights, bool unitNorm);

// Rows [gridH * gridW, dim] -> [gridH * gridW, dim + 2], with ((2(c + .5) / gridW - 1) * weight,
// (2(r + .5) / gridH - 1) * weight) appended.
void appendPosition(const float *rows, int64_t gridH, int64_t gridW, int64_t dim, double weight, float *out);

// Box means of rows [gridH * gridW, dim] over a window x window neighbourhood cut to the content cells
// [x0, x1) x [y0, y1), centred every `stride` patches (clamped into the content): [ceil(gridH / stride) *
// ceil(gridW / stride), dim], through a float64 summed-area table.
void contextMeans(const float *rows, int64_t gridH, int64_t gridW, int64_t dim, int64_t x0, int64_t x1, int64_t y0, int64_t y1,
                  int64_t window, int64_t stride, float *out);
}  // namespace bdi
