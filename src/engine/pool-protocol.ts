// The typed task protocol between InferencePool (main thread) and worker.ts. One entry per task in TaskMap;
// adding a task = one entry here + one handler registration in worker.ts.
import type { BackboneInfo, DeviceRequest } from './backbone';
import type { DetectInput, DetectOutput } from './detection/detect-task';
import type { ErrorEnvelope } from './error-envelope';
import type { HeatmapScale, HeatmapScaleMode } from './heatmap-png';
import type { MemoryArtifactRef } from './memory-cache';
import type { MemoryRows } from './npz';
import type { DetectorProfile } from './profile/detector-profile';
import type { TuningOptions, TuningReport } from './tuning/tune-profile';
import type { Letterbox, PatchFeatures, Region, RoiShape, StageTimings } from './types';

/** Fixed per pool; handed to every worker as Piscina workerData. */
export interface WorkerConfig {
  manifestPath: string;
  device: DeviceRequest;
  requireCuda: boolean;
  intraOpThreads: number;
  cacheMaxEntries: number;
  limitInputPixels: number;
  /** Directory for fit's temporary feature file (default: os.tmpdir()). */
  tempDir?: string;
  /** BDI_BATCH_MAX: with batching on, the warm-up also runs one backbone batch of this size. */
  batchMax?: number;
}

export interface ExtractInput {
  /** Encoded image (PNG, JPEG, BMP, TIFF, WebP). Copied to the worker, not transferred. */
  image: Uint8Array;
}
export interface ExtractOutput {
  /** Patch features, normalised per the backbone's baseline profile. */
  features: PatchFeatures;
  letterbox: Letterbox;
  timings: Pick<StageTimings, 'decode' | 'backbone'>;
}

export interface FitImage {
  /** Shown in errors: the dataset file name. */
  name: string;
  /** Read by the worker; exactly one of path / bytes. */
  path?: string;
  bytes?: Uint8Array;
}
export interface FitInput {
  images: FitImage[];
  /** (0, 1]; 1 keeps every patch (memory_fit). */
  coresetRate: number;
  seed: number;
  /** Dimensions of the random projection used for the coreset distances (default 128). */
  projectionDim?: number;
  /** 'fail' (default): the first unreadable image fails the fit; 'skip': it is reported in `errors`. */
  onImageError?: 'fail' | 'skip';
  /** Also return the .npz and FAISS index bytes, so the caller only writes files. */
  encodeArtifacts?: boolean;
  /** How to look at the images; absent: the backbone's baseline profile, or the tuned one with `tune`. */
  profile?: DetectorProfile;
  /** Choose the profile from these images first (synthetic defects on held-out OK images); the seed is `seed`. */
  tune?: Omit<TuningOptions, 'seed'>;
}
export interface FitImageError {
  name: string;
  code: string;
  message: string;
}
export interface FitOutput {
  /** Coreset rows in selection order, [m, dim], L2-normalised. */
  bank: Float32Array;
  m: number;
  dim: number;
  /** Patches seen (all images × tokens). */
  nEmbeddings: number;
  nImages: number;
  tokenH: number;
  tokenW: number;
  requestedRate: number;
  appliedRate: number;
  /** Covering radius of the coreset in the projected selection space. */
  coverRadius: number;
  errors: FitImageError[];
  /** The profile the memory was built with (stored in the npz metadata); a map view's floors as learned. */
  profile: DetectorProfile;
  /** The map view's own coreset rows (profile.mapView), stored as the npz's `emb_map`. */
  map?: MemoryRows;
  /** The context view's own coreset rows (profile.contextView), stored as the npz's `emb_ctx`. */
  context?: MemoryRows;
  /** What tuning measured and chose (also in the npz metadata), when it ran. */
  tuning?: TuningReport;
  npzBytes?: Uint8Array;
  indexBytes?: Uint8Array;
  timingsMs: { decode: number; backbone: number; coreset: number; total: number };
}

export interface InferInput {
  image: Uint8Array;
  memory: MemoryArtifactRef;
  shape?: RoiShape | null;
  /** When set, defect regions are computed. */
  threshold?: number | null;
  scorePercentile: number;
  areaMm2Thr: number;
  mmPerPx: number;
  /** 'ng': only when the decision (decision.ts, against `threshold`) is NG, as /infer without include_heatmap. */
  wantHeatmap: boolean | 'ng';
  /** The heatmap's scale (heatmap-png.ts): 'image' (default, the GUI's) or 'absolute' (needs `threshold`). */
  heatmapScale?: HeatmapScaleMode;
  /** Also return the raw anomaly map (evaluation: pixel metrics without a second backbone pass). */
  returnMap?: boolean;
}
export interface InferOutput {
  score: number;
  tokenShape: [number, number];
  /** 8-bit grayscale PNG, crop size, base64-encoded in the worker: the wire form, kept off the main thread. */
  heatmapPngBase64?: string;
  /** With the heatmap: the score values its gray levels 0 and 255 stand for. */
  heatmapScale?: HeatmapScale;
  regions?: Region[];
  /** The blurred anomaly map in crop pixels, [height, width] row-major, when returnMap was set. */
  map?: { heat: Float32Array; width: number; height: number };
  /** knn includes loading the memory on a cache miss (see memoryLoaded). */
  timings: StageTimings;
  memoryLoaded: boolean;
}

/** Infer inputs the pool's batcher grouped for one worker (BDI_BATCH_MAX > 1). */
export interface InferBatchInput {
  items: InferInput[];
}
export interface InferBatchOutput {
  /** One per item, same order. */
  replies: Array<TaskReply<'infer'>>;
}

export interface InfoInput {
  /** Also run one dummy inference (warm-up) before answering. */
  warmUp?: boolean;
}
export interface WorkerInfo {
  threadId: number;
  backbone: BackboneInfo;
  /** Thread caps seen by native code inside the worker. */
  nativeThreads: { omp: number; openblas: number };
  envThreads: { OMP_NUM_THREADS: string | null; OPENBLAS_NUM_THREADS: string | null };
  cachedMemories: number;
  memoryLoads: number;
  /** Dynamic batching in this worker's backbone session (batching-session.ts). */
  batching?: { runs: number; items: number; largest: number; batchable: boolean };
  /** Wall time of the warm-up inference, when this call ran one. */
  warmUpMs?: number;
}

/** A freshly written memory to read into this worker's cache now, not on the first inference that needs it. */
export interface LoadMemoryInput {
  memory: MemoryArtifactRef;
}
export interface LoadMemoryOutput {
  threadId: number;
  /** false: this worker already held this version. */
  loaded: boolean;
}

export interface TaskMap {
  detect: { input: DetectInput; output: DetectOutput };
  extract: { input: ExtractInput; output: ExtractOutput };
  fit: { input: FitInput; output: FitOutput };
  infer: { input: InferInput; output: InferOutput };
  inferBatch: { input: InferBatchInput; output: InferBatchOutput };
  info: { input: InfoInput; output: WorkerInfo };
  loadMemory: { input: LoadMemoryInput; output: LoadMemoryOutput };
}
export type TaskName = keyof TaskMap;
export type TaskInput<K extends TaskName> = TaskMap[K]['input'];
export type TaskOutput<K extends TaskName> = TaskMap[K]['output'];

export interface TaskMessage<K extends TaskName = TaskName> {
  task: K;
  input: TaskInput<K>;
  /** The task's control array (task-progress.ts): index 0 is the abort flag the caller sets (Atomics) to cancel;
   *  long tasks publish their progress in the rest. */
  abortFlag: Int32Array;
}

export type TaskReply<K extends TaskName = TaskName> = { ok: true; value: TaskOutput<K> } | { ok: false; error: ErrorEnvelope };
