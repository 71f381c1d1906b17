// Minimal BMP decoder: sharp (libvips without ImageMagick) cannot read BMP, OpenCV can, and clients may send it.
// Covers uncompressed 1/4/8-bit palette and 24/32-bit (BI_RGB or BI_BITFIELDS) images, bottom-up or top-down.
import { ImageDecodeError } from './engine-error';
import type { RgbImage } from './types';

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;

export function decodeBmp(bytes: Uint8Array, limitInputPixels: number): RgbImage {
  const fail = (why: string): never => {
    throw new ImageDecodeError('invalid_image', `Invalid BMP image: ${why}`);
  };
  if (bytes.length < 26) fail('truncated header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const dibSize = view.getUint32(14, true);
  const core = dibSize === 12;
  if (!core && (dibSize < 40 || bytes.length < 14 + 40)) fail(`unsupported header size ${dibSize}`);
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const rawHeight = core ? view.getInt16(20, true) : view.getInt32(22, true);
  const bpp = view.getUint16(core ? 24 : 28, true);
  const compression = core ? BI_RGB : view.getUint32(30, true);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  if (width <= 0 || height <= 0) fail(`bad size ${width}x${rawHeight}`);
  if (width * height > limitInputPixels) {
    throw new ImageDecodeError('image_too_large', `Image of ${width}x${height} pixels exceeds the limit of ${limitInputPixels}`, {
      width,
      height,
      limitInputPixels,
    });
  }
  if (![1, 4, 8, 24, 32].includes(bpp)) fail(`unsupported bit depth ${bpp}`);
  if (!(compression === BI_RGB || (compression === BI_BITFIELDS && bpp === 32))) fail(`unsupported compression ${compression}`);

  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const entrySize = core ? 3 : 4;
    const declared = core ? 0 : view.getUint32(46, true);
    const count = declared > 0 ? Math.min(declared, 1 << bpp) : 1 << bpp;
    const start = 14 + dibSize;
    if (start + count * entrySize > bytes.length) fail('truncated palette');
    palette = new Uint8Array(count * 3);
    for (let i = 0; i < count; i++) {
      const p = start + i * entrySize;
      palette[i * 3] = bytes[p + 2];
      palette[i * 3 + 1] = bytes[p + 1];
      palette[i * 3 + 2] = bytes[p];
    }
  }
  // BITFIELDS masks follow a 40-byte header, or sit inside V4/V5 headers at the same offset.
  let masks: [number, number, number] = [0x00ff0000, 0x0000ff00, 0x000000ff];
  if (compression === BI_BITFIELDS) {
    if (14 + 40 + 12 > bytes.length) fail('truncated bit masks');
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
  }
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) fail('truncated pixel data');

  const out = new Uint8Array(width * height * 3);
  const channelOf = (value: number, mask: number): number => {
    if (mask === 0) return 0;
    const shift = 31 - Math.clz32(mask & -mask);
    const bits = 32 - Math.clz32(mask >>> shift);
    const v = (value & mask) >>> shift;
    return bits >= 8 ? v >>> (bits - 8) : Math.round((v * 255) / ((1 << bits) - 1));
  };
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (bpp === 24) {
        const p = row + x * 3;
        out[o] = bytes[p + 2];
        out[o + 1] = bytes[p + 1];
        out[o + 2] = bytes[p];
      } else if (bpp === 32) {
        const v = view.getUint32(row + x * 4, true);
        out[o] = channelOf(v, masks[0]);
        out[o + 1] = channelOf(v, masks[1]);
        out[o + 2] = channelOf(v, masks[2]);
      } else {
        const bit = x * bpp;
        const byte = bytes[row + (bit >> 3)];
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        const pal = palette as Uint8Array;
        if (index * 3 >= pal.length) fail(`palette index ${index} out of range`);
        out[o] = pal[index * 3];
        out[o + 1] = pal[index * 3 + 1];
        out[o + 2] = pal[index * 3 + 2];
      }
    }
  }
  return { data: out, width, height };
}
