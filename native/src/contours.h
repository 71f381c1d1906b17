#pragma once
#include <cstdint>
#include <vector>

namespace bdi {
// Outer borders of the 8-connected blobs of binary ([height, width], non-zero = foreground) as OpenCV's
// findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE) gives them: Suzuki–Abe border following from each external
// blob's first raster pixel, vertices where the chain direction changes, contours in OpenCV's order (last found
// first). Blobs inside a hole of another blob are skipped. points: x, y pairs of all contours in turn; lengths:
// vertices per contour.
void externalContours(const uint8_t *binary, int64_t width, int64_t height, std::vector<int32_t> *points,
                      std::vector<int32_t> *lengths);
// The contours of mask != 0 && heat >= threshold ([height, width]), in crop coordinates. Works on the foreground's
// bounding box plus a one-pixel margin: everything outside it is outer background, so contours and their order are
// the same, and a small defect costs a small box, not the crop.
void thresholdContours(const float *heat, const uint8_t *mask, int64_t width, int64_t height, double threshold,
                       std::vector<int32_t> *points, std::vector<int32_t> *lengths);
}  // namespace bdi
