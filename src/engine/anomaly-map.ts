// From per-token kNN distances to the crop-sized anomaly map, its score, the visual PNG and the defect regions.
import { gaussianBlur } from './gaussian-blur';
import { encodeGrayPng, heatmapToGray } from './heatmap-png';
import { PercentileSelector } from './percentile';
import { findRegions, type RegionOptions } from './regions';
import { buildRoiMask } from './roi-mask';
import { tokenGridToCrop } from './token-map';
import type { Letterbox, Region, RoiShape } from './types';

export const BLUR_SIGMA = 1;

export interface AnomalyMap {
  /** Blurred distances, [height, width] row-major, crop pixels. */
  heat: Float32Array;
  /** 255 inside the ROI shape. */
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

export function buildAnomalyMap(input: AnomalyMapInput): AnomalyMap {
  const width = input.letterbox.sourceWidth;
  const height = input.letterbox.sourceHeight;
  const upsampled = tokenGridToCrop(input.distances, input.gridH, input.gridW, input.letterbox);
  const heat = gaussianBlur(upsampled, width, height, BLUR_SIGMA);
  const mask = buildRoiMask(height, width, input.shape ?? null);
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] > 0) count++;
  const values = new Float32Array(count);
  for (let i = 0, j = 0; i < mask.length; i++) if (mask[i] > 0) values[j++] = heat[i];
  return { heat, mask, width, height, valid: new PercentileSelector(values) };
}

/** Percentile of the in-mask values; 0 when the mask is empty. */
export function anomalyScore(map: AnomalyMap, scorePercentile: number): number {
  return map.valid.length === 0 ? 0 : map.valid.at(scorePercentile);
}

export function anomalyHeatmapPng(map: AnomalyMap): Promise<Uint8Array> {
  return encodeGrayPng(heatmapToGray(map.heat, map.mask, map.valid), map.width, map.height);
}

export function anomalyRegions(map: AnomalyMap, options: RegionOptions): Region[] {
  return findRegions(map.heat, map.mask, map.width, map.height, options);
}
