// Plain inputs of the inspection operations: routes and jobs build them, the inspection services consume them.
import type { ModelRef } from '../recipes/model-store';
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
}

export interface InferDatasetInput extends ModelRef, RequestScope {
  labels: string[];
  includeHeatmap: boolean;
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
