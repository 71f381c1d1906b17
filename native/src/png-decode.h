#pragma once
#include <cstdint>
#include <functional>

namespace bdi {
// Decodes a PNG whose pixels libvips would read unchanged: bit depth 8, colour type grey, RGB, palette, grey+alpha
// or RGBA, not interlaced, and no chunk that could change the pixels libvips returns (colour profile, gamma,
// chromaticities, EXIF orientation, anything unknown). Alpha is dropped and grey replicated, as sharp's
// removeAlpha() and toColourspace('srgb') do, into the width x height x 3 bytes that `output(width, height)` returns
// once the data has proved whole. Returns false (the output unspecified, or never asked for) for any PNG outside
// that set or any damage (bad CRC, truncated or overlong data): the caller then decodes through sharp, which owns
// the errors.
bool decodePlainPng(const uint8_t *bytes, int64_t length, const std::function<uint8_t *(uint32_t width, uint32_t height)> &output);
}  // namespace bdi
