// From per-token kNN distances to the crop-sized anomaly map, its score, the visual PNG and the defect regions.
import { gaussianKernel, kernelSizeForSigma } from './gaussian-blur';
import { encodeGrayPng, heatToGrayOnScale, heatmapScaleOf, type HeatmapScale } from './heatmap-png';
import { PercentileSelector } from './percentile';
import { findRegions, type RegionOptions } from './regions';
import { loadNativeAddon, type UpsampleBlurArgs } from './native-addon';
import type { ContextView, MapSmoothing, MapView, ScoreStatistic } from './profile/detector-profile';
import { sharedRoiMask } from './roi-mask';
import { smoothTokenGrid } from './token-smoothing';
import { cropTaps, type Taps } from './token-map';
import type { Letterbox, Region, RoiShape } from './types';

export const BLUR_SIGMA = 1;
const BLUR_KERNEL = gaussianKernel(kernelSizeForSigma(BLUR_SIGMA), BLUR_SIGMA);

/** A worker sees the same few crop geometries over and over: taps are memoised (masks too, in roi-mask.ts). */
const MEMO_MAX = 16;
const tapsMemo = new Map<string, { xs: Taps; ys: Taps }>();

function memo<T>(store: Map<string, T>, key: string, make: () => T): T {
  let value = store.get(key);
  if (value === undefined) {
    value = make();
    if (store.size >= MEMO_MAX) store.delete(store.keys().next().value as string);
    store.set(key, value);
  }
  return value;
}

export interface AnomalyMap {
  /** Blurred distances, [height, width] row-major, crop pixels. */
  heat: Float32Array;
  /** 255 inside the ROI shape. Shared between maps of the same geometry: read-only. */
  mask: Uint8Array;
  width: number;
  height: number;
  /** In-mask heat values, for percentiles (score, visual stretch). */
  valid: PercentileSelector;
}

export interface AnomalyMapInput {
  /** kNN distance per token, [gridH, gridW] row-major. */
  distances: Float32Array;
  gridH: number;
  gridW: number;
  letterbox: Letterbox;
  shape?: RoiShape | null;
}

/**
 * Bilinear upsampling to the crop (token-map.ts) and the σ = 1 Gaussian blur (gaussian-blur.ts) run fused in the
 * native addon with the same float64 arithmetic: bit-identical to the TypeScript references.
 */
export function buildAnomalyMap(input: AnomalyMapInput): AnomalyMap {
  const { width, height, mask, args } = mapGeometry(input);
  const heat = loadNativeAddon().upsampleBlur(...args);
  return { heat, mask, width, height, valid: new PercentileSelector(loadNativeAddon().maskedValues(heat, mask), { copy: false }) };
}

/** A map read only for its in-mask values (the score map): buildAnomalyMap(input).valid, without the map itself. */
export function anomalyMapValues(input: AnomalyMapInput): ScoreValues {
  const { mask, args } = mapGeometry(input);
  return { valid: new PercentileSelector(loadNativeAddon().upsampleBlurMasked(...args, mask), { copy: false }) };
}

function mapGeometry(input: AnomalyMapInput): { width: number; height: number; mask: Uint8Array; args: UpsampleBlurArgs } {
  const box = input.letterbox;
  const { xs, ys } = memo(tapsMemo, JSON.stringify([input.gridH, input.gridW, box]), () => cropTaps(input.gridH, input.gridW, box));
  return {
    width: box.sourceWidth,
    height: box.sourceHeight,
    mask: sharedRoiMask(box.sourceHeight, box.sourceWidth, input.shape ?? null),
    args: [input.distances, input.gridH, input.gridW, xs.index, xs.weight, ys.index, ys.weight, BLUR_KERNEL],
  };
}

/** The in-mask values of a map: what the image score is read from. */
export type ScoreValues = Pick<AnomalyMap, 'valid'>;

/**
 * The map shown and cut into regions, and the map the image score is read from, each from its distance grid
 * smoothed as the profile says: `input.distances` for the score, `mapDistances` (the map view's, profile.mapView)
 * for the map. One map when both grids and both σ agree; without smoothing or a map view, the original's map.
 */
export function buildAnomalyMaps(
  input: AnomalyMapInput,
  smoothing: MapSmoothing | undefined,
  mapDistances: Float32Array = input.distances,
): { map: AnomalyMap; scoreMap: ScoreValues } {
  const smoothed = (distances: Float32Array, sigma: number): AnomalyMapInput => ({
    ...input,
    distances: smoothTokenGrid(distances, input.gridH, input.gridW, sigma, input.letterbox),
  });
  const mapSigma = smoothing?.map ?? 0;
  const scoreSigma = smoothing?.score ?? 0;
  const map = buildAnomalyMap(smoothed(mapDistances, mapSigma));
  const shared = mapDistances === input.distances && scoreSigma === mapSigma;
  const scoreMap = shared ? map : anomalyMapValues(smoothed(input.distances, scoreSigma));
  return { map, scoreMap };
}

/**
 * The map's patch distances from the score view's and the map view's (profile.mapView): blend × scale × view +
 * (1 − blend) × score. Writes into `view`.
 */
export function blendMapDistances(score: Float32Array, view: Float32Array, mapView: Pick<MapView, 'scale' | 'blend'>): Float32Array {
  const scale = mapView.scale ?? 1;
  const blend = mapView.blend ?? 1;
  for (let i = 0; i < view.length; i++) view[i] = blend * scale * view[i] + (1 - blend) * score[i];
  return view;
}

/**
 * The map's patch distances with the context view's (profile.contextView) added: max(0, map + gain × (scale ×
 * context − level)), per patch, `context` already on the patch grid. Writes into `context`.
 */
export function addContextDistances(map: Float32Array, context: Float32Array, view: Pick<ContextView, 'gain' | 'scale' | 'level'>): Float32Array {
  const scale = view.scale ?? 1;
  const level = view.level ?? 0;
  for (let i = 0; i < context.length; i++) context[i] = Math.max(0, map[i] + view.gain * (scale * context[i] - level));
  return context;
}

/** The image score: the statistic over the in-mask values; 0 when the mask is empty. */
export function anomalyScore(map: ScoreValues, statistic: ScoreStatistic): number {
  if (map.valid.length === 0) return 0;
  return statistic.kind === 'percentile' ? map.valid.at(statistic.value) : map.valid.topMean(statistic.fraction);
}

/** The heatmap PNG on `scale` (heatmap-png.ts); by default the GUI's per-image stretch. */
export function anomalyHeatmapPng(map: AnomalyMap, scale: HeatmapScale = heatmapScaleOf(map.valid, 'image', null)): Promise<Uint8Array> {
  return encodeGrayPng(heatToGrayOnScale(map.heat, map.mask, scale), map.width, map.height);
}

export function anomalyRegions(map: AnomalyMap, options: RegionOptions): Region[] {
  return findRegions(map.heat, map.mask, map.width, map.height, options);
}
