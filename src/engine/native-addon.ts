// Loader and typed surface of the project's own N-API addon (native/): coreset selection and random projection
// in C++, plain-PNG decoding, the feature-row loops of a request (input tensor, layout, normalisation, position,
// context means), anomaly-map post-processing (maps, order statistics, PNG rows, region contours), and thread caps
// for OpenMP/OpenBLAS inside workers.
import { join } from 'node:path';
import { NativeUnavailableError } from './engine-error';
import { repoRoot } from './repo-root';
import type { RgbImage } from './types';

export interface KCenterNativeResult {
  /** Selected row indices, selection order. */
  indices: Int32Array;
  /** Covering radius (max over rows of the distance to the nearest selected row), in the selection space. */
  radius: number;
  distanceEvaluations: number;
  /** True when the abort flag stopped the selection early (indices are then incomplete). */
  aborted: boolean;
}

/** A [gridH, gridW] grid, the taps of each output column and row (token-map.ts), the blur kernel (odd size). */
export type UpsampleBlurArgs = [
  grid: Float32Array,
  gridH: number,
  gridW: number,
  xIndex: Int32Array,
  xWeight: Float64Array,
  yIndex: Int32Array,
  yWeight: Float64Array,
  kernel: Float64Array,
];

export interface NativeContours {
  /** x, y pairs of every contour's vertices, contour after contour. */
  points: Int32Array;
  /** Vertices per contour. */
  lengths: Int32Array;
}

export interface NativeAddon {
  kCenterGreedy(
    data: Float32Array,
    n: number,
    d: number,
    m: number,
    start: number,
    abortFlag?: Int32Array,
    threads?: number,
  ): KCenterNativeResult;
  projectRows(data: Float32Array, n: number, d: number, proj: Float32Array, k: number): Float32Array;
  /** Bilinear upsampling through per-axis taps (token-map.ts) + separable Gaussian blur; bit-identical to the TS path. */
  upsampleBlur(...args: UpsampleBlurArgs): Float32Array;
  /** maskedValues(upsampleBlur(...), mask): a map read only for its percentiles, never handed to JS whole. */
  upsampleBlurMasked(...args: [...UpsampleBlurArgs, mask: Uint8Array]): Float32Array;
  /** heat where mask != 0, raster order. */
  maskedValues(heat: Float32Array, mask: Uint8Array): Float32Array;
  /** [k-th smallest, (k+1)-th smallest] of `values`, reordered in place (std::nth_element). */
  selectKth(values: Float32Array, k: number): [number, number];
  /** 0 outside the mask, uint8(trunc(clip((v - mn) / (mx - mn), 0, 1)·255 + 0.5)) inside; requires mx > mn. */
  heatToGray(heat: Float32Array, mask: Uint8Array, mn: number, mx: number): Uint8Array;
  /**
   * An 8-bit PNG that libvips would decode unchanged (grey, RGB, palette, grey+alpha or RGBA, not interlaced, no
   * colour, gamma or orientation chunk) as RGB with alpha dropped; null for any other PNG or a damaged one.
   */
  decodePlainPng(png: Uint8Array): RgbImage | null;
  /** PNG filter type 1 (Sub) on every row: [height, 1 + width], the filter byte first. */
  pngSubRows(gray: Uint8Array, width: number, height: number): Uint8Array;
  /** OpenCV findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE) of binary != 0: x, y pairs of each contour in turn. */
  externalContours(binary: Uint8Array, width: number, height: number): NativeContours;
  /** externalContours of mask != 0 && heat >= threshold, computed on that foreground's bounding box. */
  thresholdContours(heat: Float32Array, mask: Uint8Array, width: number, height: number, threshold: number): NativeContours;
  /**
   * sharp's resize(width, height, { kernel: 'cubic', fit: 'fill' }) of RGB, byte for byte (libvips 8.17's reduce
   * replicated); null when an axis would be enlarged.
   */
  resizeCubicDown(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array | null;
  /** Interleaved RGB [plane, 3] → planar [3, plane]: channel c is tables[c·256 + rgb[i·3 + source[c]]]. */
  planarInput(rgb: Uint8Array, tables: Float32Array, source: Int32Array): Float32Array;
  /** out[i·outDim + column + ch] = data[i·pixelStride + ch·channelStride]: a planar map's transpose, or one concat block. */
  copyColumns(
    data: Float32Array,
    plane: number,
    channels: number,
    pixelStride: number,
    channelStride: number,
    out: Float32Array,
    outDim: number,
    column: number,
  ): void;
  /** normaliseFeatures (profile/feature-normalisation.ts), in place. */
  normaliseRows(rows: Float32Array, dim: number, blocks: Int32Array, floors: Float64Array, weights: Float64Array, unitNorm: boolean): void;
  /** appendPosition (profile/position-features.ts). */
  appendPosition(rows: Float32Array, gridH: number, gridW: number, dim: number, weight: number): Float32Array;
  /** The context view's box means over the content cells [x0, x1) × [y0, y1) (profile/context-view.ts). */
  contextMeans(
    rows: Float32Array,
    gridH: number,
    gridW: number,
    dim: number,
    x0: number,
    x1: number,
    y0: number,
    y1: number,
    window: number,
    stride: number,
  ): Float32Array;
  setThreads(n: number): void;
  getThreads(): { omp: number; openblas: number };
}

let addon: NativeAddon | null = null;

export function nativeAddonPath(): string {
  return join(repoRoot(), 'native', 'build', 'Release', 'bdi_native.node');
}

export function loadNativeAddon(): NativeAddon {
  if (addon) return addon;
  const path = nativeAddonPath();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(path) as NativeAddon;
  } catch (err) {
    throw new NativeUnavailableError(`Native addon not built (${path}); run \`npm run build:native\`: ${(err as Error).message}`, { path });
  }
  return addon;
}
