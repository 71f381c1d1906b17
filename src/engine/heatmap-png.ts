// The GUI's visual heatmap: per-image 1–99 percentile stretch of the in-mask values, 0 outside the mask,
// encoded as an 8-bit single-channel PNG the size of the crop.
import sharp from 'sharp';
import type { PercentileSelector } from './percentile';

/**
 * heat, mask: [height, width]. uint8(trunc(v·255 + 0.5)) with v in float64, as numpy 2 computes it (np.percentile
 * returns float64 scalars, which promote the float32 map under NEP 50).
 */
export function heatmapToGray(heat: Float32Array, mask: Uint8Array, valid: PercentileSelector): Uint8Array {
  const out = new Uint8Array(heat.length);
  if (valid.length === 0) return out;
  const mn = valid.at(1);
  const mx = valid.at(99);
  if (!(mx > mn)) return out;
  const range = mx - mn;
  for (let i = 0; i < heat.length; i++) {
    if (mask[i] === 0) continue;
    let v = (heat[i] - mn) / range;
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    out[i] = Math.trunc(v * 255 + 0.5);
  }
  return out;
}

export async function encodeGrayPng(gray: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  // Without 'b-w' sharp writes single-channel input as an RGB PNG.
  const png = await sharp(Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    // Level 3: ~2x faster than the default 6 for a few percent more bytes on smooth heatmaps.
    .png({ compressionLevel: 3 })
    .toBuffer();
  return new Uint8Array(png); // own copy: sharp's buffer may be external memory, which cannot be transferred
}
