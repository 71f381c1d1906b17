// Shared data shapes of the inspection engine. Plain TypeScript: the engine runs inside worker threads
// and must not import Nest.

/** 8-bit RGB image, interleaved, [height, width, 3] row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Where the decoded crop sits inside the backbone input after the aspect-preserving letterbox. */
export interface Letterbox {
  inputWidth: number;
  inputHeight: number;
  /** Size of the resized crop inside the input. */
  contentWidth: number;
  contentHeight: number;
  /** Top-left corner of the resized crop inside the input. */
  offsetX: number;
  offsetY: number;
  /** Size of the original (decoded) crop. */
  sourceWidth: number;
  sourceHeight: number;
}

/** Patch features of one image: [gridH * gridW, dim] row-major, token index = row * gridW + col. */
export interface PatchFeatures {
  features: Float32Array;
  gridH: number;
  gridW: number;
  dim: number;
}

/** ROI mask in crop pixel coordinates, as the GUI sends it (`shape` JSON). Unknown kinds mean "whole crop". */
export type RoiShape =
  | { kind: 'rect'; x?: number | string; y?: number | string; w?: number | string; h?: number | string }
  | { kind: 'circle'; cx?: number; cy?: number; r?: number }
  | { kind: 'annulus'; cx?: number; cy?: number; r?: number; r_inner?: number }
  | { kind: string; [key: string]: unknown };

/** A connected defect region of the thresholded anomaly map, in crop pixels. */
export interface Region {
  bbox: [number, number, number, number];
  area_px: number;
  area_mm2: number;
  contour: Array<[number, number]>;
}

/** Per-stage wall time of one inference, milliseconds. */
export interface StageTimings {
  decode: number;
  backbone: number;
  knn: number;
  post: number;
}
