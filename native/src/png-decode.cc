// A synchronous PNG decoder for the common upload. Inflating the IDAT stream and undoing the row filters is all a
// plain 8-bit PNG needs; doing it on the calling thread skips sharp's thread-pool hop and libvips' pipeline set-up,
// which cost more than the decoding itself for a ROI-sized image.
#include "png-decode.h"

#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace bdi {
namespace {

uint32_t readU32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3]; }

bool chunkIs(const uint8_t *type, const char *name) { return std::memcmp(type, name, 4) == 0; }

// Ancillary chunks libvips reads as metadata only: text, time, resolution, background and the palette's alpha.
bool ignorable(const uint8_t *type) {
  static const char *const names[] = {"tEXt", "zTXt", "iTXt", "tIME", "pHYs", "bKGD", "tRNS"};
  for (const char *name : names)
    if (chunkIs(type, name)) return true;
  return false;
}

int channelsOf(uint8_t colourType) {
  switch (colourType) {
    case 0: return 1;  // grey
    case 2: return 3;  // RGB
    case 3: return 1;  // palette index
    case 4: return 2;  // grey + alpha
    case 6: return 4;  // RGBA
    default: return 0;
  }
}

uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return (uint8_t)a;
  return (uint8_t)(pb <= pc ? b : c);
}

// Undoes the row filters in place; rows are [filter byte, stride bytes]. False on an unknown filter type.
bool unfilter(uint8_t *rows, uint32_t height, size_t stride, int bpp) {
  const uint8_t *prev = nullptr;
  for (uint32_t y = 0; y < height; y++) {
    uint8_t *row = rows + y * (stride + 1);
    const uint8_t filter = row[0];
    uint8_t *cur = row + 1;
    switch (filter) {
      case 0: break;
      case 1:
        for (size_t i = bpp; i < stride; i++) cur[i] = (uint8_t)(cur[i] + cur[i - bpp]);
        break;
      case 2:
        if (prev)
          for (size_t i = 0; i < stride; i++) cur[i] = (uint8_t)(cur[i] + prev[i]);
        break;
      case 3:
        for (size_t i = 0; i < stride; i++) {
          const int left = i >= (size_t)bpp ? cur[i - bpp] : 0;
          const int up = prev ? prev[i] : 0;
          cur[i] = (uint8_t)(cur[i] + ((left + up) >> 1));
        }
        break;
      case 4:
        if (!prev) {  // Paeth with no row above is Sub.
          for (size_t i = bpp; i < stride; i++) cur[i] = (uint8_t)(cur[i] + cur[i - bpp]);
        } else {
          for (size_t i = 0; i < (size_t)bpp; i++) cur[i] = (uint8_t)(cur[i] + prev[i]);
          for (size_t i = bpp; i < stride; i++) cur[i] = (uint8_t)(cur[i] + paeth(cur[i - bpp], prev[i], prev[i - bpp]));
        }
        break;
      default: return false;
    }
    prev = cur;
  }
  return true;
}

}  // namespace

bool decodePlainPng(const uint8_t *bytes, int64_t length, const std::function<uint8_t *(uint32_t width, uint32_t height)> &output) {
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
  if (length < 8 + 25 || std::memcmp(bytes, signature, 8) != 0) return false;
  const uint8_t *ihdr = bytes + 8;
  if (readU32(ihdr) != 13 || !chunkIs(ihdr + 4, "IHDR")) return false;
  const uint32_t w = readU32(ihdr + 8), h = readU32(ihdr + 12);
  const uint8_t depth = ihdr[16], colourType = ihdr[17], compression = ihdr[18], filterMethod = ihdr[19], interlace = ihdr[20];
  const int channels = channelsOf(colourType);
  if (w == 0 || h == 0 || w > (1u << 24) || h > (1u << 24) || depth != 8 || channels == 0 || compression != 0 || filterMethod != 0 ||
      interlace != 0)
    return false;

  // Walk every chunk up to IEND (CRCs checked): IDATs consecutive, the palette kept, nothing unexpected anywhere.
  const uint8_t *palette = nullptr;
  uint32_t paletteEntries = 0;
  std::vector<std::pair<const uint8_t *, uint32_t>> idat;
  bool idatClosed = false, ended = false;
  for (int64_t at = 8; !ended;) {
    if (at + 12 > length) return false;
    const uint32_t size = readU32(bytes + at);
    if (size > 0x7fffffffu || at + 12 + (int64_t)size > length) return false;
    const uint8_t *type = bytes + at + 4, *data = type + 4;
    if (crc32(crc32(0L, type, 4), data, size) != readU32(data + size)) return false;
    if (at == 8) {
      // IHDR, checked above.
    } else if (chunkIs(type, "IDAT")) {
      if (idatClosed) return false;
      idat.emplace_back(data, size);
    } else {
      if (!idat.empty()) idatClosed = true;
      if (chunkIs(type, "IEND")) ended = true;
      else if (chunkIs(type, "PLTE")) {
        if (size % 3 != 0 || size == 0 || size > 768 || palette || !idat.empty()) return false;
        palette = data;
        paletteEntries = size / 3;
      } else if (chunkIs(type, "tRNS") && (colourType == 4 || colourType == 6 || !idat.empty())) {
        return false;  // not allowed there: libvips' reader would refuse it
      } else if (!ignorable(type)) return false;
    }
    at += 12 + size;
    if (ended && at != length) return false;
  }
  if (idat.empty() || (colourType == 3 && !palette)) return false;

  const size_t stride = (size_t)w * channels;
  const size_t rawSize = (stride + 1) * h;
  // Deflate expands at most ~1032:1; a header promising more than the data can hold is damaged or hostile, and is
  // refused before anything of its size is allocated.
  size_t compressed = 0;
  for (const auto &part : idat) compressed += part.second;
  if (rawSize / 1100 > compressed || rawSize > 0xffffffffu) return false;  // (zlib counts output in 32 bits)
  std::vector<uint8_t> raw(rawSize);
  z_stream z;
  std::memset(&z, 0, sizeof z);
  if (inflateInit(&z) != Z_OK) return false;
  z.next_out = raw.data();
  z.avail_out = (uInt)rawSize;
  int status = Z_OK;
  size_t chunk = 0;
  for (; chunk < idat.size() && status == Z_OK; chunk++) {
    z.next_in = const_cast<Bytef *>(idat[chunk].first);
    z.avail_in = idat[chunk].second;
    // More data than the image holds ends in Z_BUF_ERROR (no progress with the output full).
    while (status == Z_OK && z.avail_in > 0) status = inflate(&z, Z_NO_FLUSH);
  }
  const bool complete = status == Z_STREAM_END && z.avail_out == 0 && z.avail_in == 0 && chunk == idat.size();
  inflateEnd(&z);
  if (!complete) return false;

  if (!unfilter(raw.data(), h, stride, channels)) return false;
  uint8_t *out = output(w, h);
  for (uint32_t y = 0; y < h; y++) {
    const uint8_t *src = raw.data() + y * (stride + 1) + 1;
    switch (colourType) {
      case 2: std::memcpy(out, src, stride); out += stride; break;
      case 0:
      case 4:
        for (uint32_t x = 0; x < w; x++, src += channels, out += 3) out[0] = out[1] = out[2] = src[0];
        break;
      case 6:
        for (uint32_t x = 0; x < w; x++, src += 4, out += 3) out[0] = src[0], out[1] = src[1], out[2] = src[2];
        break;
      case 3:
        for (uint32_t x = 0; x < w; x++, src++, out += 3) {
          if (*src >= paletteEntries) return false;
          std::memcpy(out, palette + 3 * *src, 3);
        }
        break;
    }
  }
  return true;
}

}  // namespace bdi
