// The heatmap PNG: an 8-bit single-channel image the size of the crop, 0 outside the mask. Two scales:
// - 'image' (the GUI's, the default): each map stretched to its own 1–99 percentile range of the in-mask values, so
//   a clean part's map looks as hot as a defective one's;
// - 'absolute': one fixed scale tied to the calibrated threshold (anomalib's idea): distance 0 → 0, the threshold →
//   the middle of the range, twice the threshold and above → 255; maps of different images compare directly.
import sharp from 'sharp';
import { loadNativeAddon } from './native-addon';
import type { PercentileSelector } from './percentile';

export type HeatmapScaleMode = 'image' | 'absolute';
export const HEATMAP_SCALE_MODES: readonly HeatmapScaleMode[] = ['image', 'absolute'];

/** On the absolute scale the threshold sits at this level of 0..1 (gray 128); the top of the scale is threshold / level. */
export const ABSOLUTE_THRESHOLD_LEVEL = 0.5;

/**
 * The score values a heatmap's gray levels span: gray = round(255 · clamp((v − min) / (max − min), 0, 1)) inside the
 * mask. `max <= min` (a flat map on the image scale): every in-mask pixel is 0.
 */
export interface HeatmapScale {
  mode: HeatmapScaleMode;
  min: number;
  max: number;
}

/**
 * The scale of one map. 'absolute' needs a positive threshold; without one (a model not calibrated) it falls back
 * to 'image', and the returned mode says so.
 */
export function heatmapScaleOf(valid: PercentileSelector, mode: HeatmapScaleMode, threshold: number | null | undefined): HeatmapScale {
  if (mode === 'absolute' && typeof threshold === 'number' && Number.isFinite(threshold) && threshold > 0) {
    return { mode, min: 0, max: threshold / ABSOLUTE_THRESHOLD_LEVEL };
  }
  if (valid.length === 0) return { mode: 'image', min: 0, max: 0 };
  return { mode: 'image', min: valid.at(1), max: valid.at(99) };
}

/**
 * heat, mask: [height, width]. uint8(trunc(v·255 + 0.5)) with v in float64, as numpy 2 computes it (np.percentile
 * returns float64 scalars, which promote the float32 map under NEP 50). The per-pixel loop is native.
 */
export function heatmapToGray(heat: Float32Array, mask: Uint8Array, valid: PercentileSelector): Uint8Array {
  return heatToGrayOnScale(heat, mask, heatmapScaleOf(valid, 'image', null));
}

/** The gray levels of `heat` on `scale`; all zero when the scale is flat. */
export function heatToGrayOnScale(heat: Float32Array, mask: Uint8Array, scale: HeatmapScale): Uint8Array {
  if (!(scale.max > scale.min)) return new Uint8Array(heat.length);
  return loadNativeAddon().heatToGray(heat, mask, scale.min, scale.max);
}

export async function encodeGrayPng(gray: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  // Without 'b-w' sharp writes single-channel input as an RGB PNG.
  const png = await sharp(Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    // Level 1: ~2x faster than level 3 (same pixels, ~15 % more bytes: 154 vs 134 KB for a 448×448 map).
    .png({ compressionLevel: 1 })
    .toBuffer();
  return new Uint8Array(png); // own copy: sharp's buffer may be external memory, which cannot be transferred
}
