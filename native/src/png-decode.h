#pragma once
#include <cstdint>
#include <vector>

namespace bdi {
// Decodes a PNG whose pixels libvips would read unchanged: bit depth 8, colour type grey, RGB, palette, grey+alpha
// or RGBA, not interlaced, and no chunk that could change the pixels libvips returns (colour profile, gamma,
// chromaticities, EXIF orientation, anything unknown). Alpha is dropped and grey replicated, as sharp's
// removeAlpha() and toColourspace('srgb') do. Returns false, leaving `rgb` unspecified, for any PNG outside that set
// or any damage (bad CRC, truncated or overlong data): the caller then decodes through sharp, which owns the errors.
bool decodePlainPng(const uint8_t *bytes, int64_t length, std::vector<uint8_t> *rgb, uint32_t *width, uint32_t *height);
}  // namespace bdi
