// Plain inputs of the inspection operations: routes and jobs build them, the inspection services consume them.
import type { ModelRef } from '../recipes/model-store';
import type { HeatmapScaleMode } from '../engine/heatmap-png';
import type { RoiShape } from '../engine/types';

export interface RequestScope {
  requestId: string;
}

export interface FitOkInput extends ModelRef, RequestScope {
  mmPerPx: number;
  memoryFit: boolean;
  useDataset: boolean;
  /** Uploaded images (upload mode). */
  images: Array<{ bytes: Uint8Array; name: string }>;
  /** model_key as sent (diagnostics). */
  modelKeyRaw?: string | null;
  recipeIdRaw?: string | null;
}

export interface CalibrateNgInput extends ModelRef, RequestScope {
  mmPerPx: number;
  okScores: number[];
  ngScores: number[];
  areaMm2Thr: number;
  scorePercentile: number;
}

export interface InferRequestInput extends ModelRef, RequestScope {
  mmPerPx: number;
  image: Uint8Array;
  /** `shape` as sent: JSON text (the multipart field) or an already parsed object (jobs). */
  shape?: string | Record<string, unknown> | null;
  includeHeatmap?: boolean;
  /** undefined: BDI_HEATMAP_SCALE. */
  heatmapScale?: HeatmapScaleMode;
}

/**
 * The legend of a heatmap PNG: inside the mask, gray g (0..255) stands for the score value min + (g / 255)·(max − min)
 * (values below min read 0, above max 255); the calibrated threshold sits at level threshold_level (0..1 of the
 * range; outside 0..1 when the threshold is off this map's range, null for a flat map).
 */
export interface HeatmapLegend {
  /** 'image': this map's own 1–99 % stretch (the GUI's); 'absolute': 0 .. 2 × threshold, the same for every image. */
  mode: HeatmapScaleMode;
  min: number;
  max: number;
  threshold: number;
  threshold_level: number | null;
}

export interface InferDatasetInput extends ModelRef, RequestScope {
  labels: string[];
  includeHeatmap: boolean;
  /** undefined: BDI_HEATMAP_SCALE. */
  heatmapScale?: HeatmapScaleMode;
  defaultMmPerPx: unknown;
}

export interface CalibrateDatasetInput extends ModelRef, RequestScope {
  scorePercentile: number;
  areaMm2Thr: number;
  defaultMmPerPx: unknown;
  requireNg: boolean;
}

export interface ArtifactQueryInput extends ModelRef, RequestScope {}

export type ParsedShape = RoiShape | null;
