#pragma once
#include <cstdint>

namespace bdi {
// sharp(raw).resize(outW, outH, { kernel: 'cubic', fit: 'fill' }) as sharp 0.34.5 / libvips 8.17.3 compute it, byte
// for byte, for a reduction (or no change) on each axis: interleaved 8-bit input of `bands` channels, w x h pixels,
// outW x outH x bands bytes written to `out`. Returns false, writing nothing, when an axis would be enlarged or a size
// is not positive.
bool resizeCubicDown(const uint8_t *src, int w, int h, int bands, int outW, int outH, uint8_t *out);
}  // namespace bdi
