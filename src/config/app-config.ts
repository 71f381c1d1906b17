// The typed configuration of the service, built once at boot (see load-config.ts) and injected everywhere
// as APP_CONFIG. Nothing else reads process.env.
import type { HeatmapScaleMode } from '../engine/heatmap-png';

export type DevicePreference = 'auto' | 'cpu' | 'cuda';
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface AppConfig {
  server: {
    host: string;
    port: number;
    corsOrigins: string[] | '*';
    apiKey: string | null;
    maxUploadBytes: number;
    maxJsonBodyBytes: number;
    maxFilesPerUpload: number;
    shutdownGraceMs: number;
  };
  storage: {
    modelsDir: string;
    cacheMaxEntries: number;
    diagnosticsDir: string;
    /** BDI_STRICT_RECIPES: a model found only through a read fallback is refused (404 model_not_found). */
    strictRecipes: boolean;
  };
  inference: {
    backbone: string | null;
    device: DevicePreference;
    requireCuda: boolean;
    workers: number;
    intraOpThreads: number;
    maxQueue: number;
    /** BDI_BATCH_MAX: infer tasks batched into one backbone run (1 = no batching). */
    batchMax: number;
    /** BDI_BATCH_DELAY_MS: longest wait for a fuller batch while a worker is free. */
    batchDelayMs: number;
    /** V8 old-generation cap of each worker (BDI_WORKER_MAX_HEAP_MB); null = Node's default. */
    workerMaxHeapMb: number | null;
    maxImagePixels: number;
    /** BDI_MIN_MASK_PIXELS: a ROI shape keeping fewer crop pixels is refused (400 invalid_shape). */
    minMaskPixels: number;
    coresetRate: number;
    selfTuning: boolean;
    scorePercentile: number;
    areaMm2Thr: number;
    maxScoresPerCalibration: number;
    /** BDI_HEATMAP_SCALE: the heatmap scale of a request that names none ('image': the GUI's per-image stretch). */
    heatmapScale: HeatmapScaleMode;
  };
  training: {
    minOkSamples: number;
    datasetOnly: boolean;
  };
  jobs: {
    dbPath: string;
    runTimeoutSeconds: number;
    longRunTimeoutSeconds: number;
    ttlSeconds: number;
    maxItems: number;
    concurrency: number;
    sweepIntervalSeconds: number;
    debugSleep: boolean;
    detectorModel: string | null;
    /** BDI_REDIS_URL: set → jobs live in Redis and run through BullMQ; null → embedded SQLite runner. */
    redisUrl: string | null;
    /** Prefix of every Redis key of this deployment (several deployments can share one Redis). */
    redisPrefix: string;
    /** This node's name on job records, /health and /metrics. */
    nodeId: string;
    /** BullMQ lock of a running job; a node silent this long is presumed dead and its job re-run. */
    lockMs: number;
    /** Times a job may be re-run after its node died before it ends failed/interrupted. */
    maxStalled: number;
  };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** LOG_FORMAT: 'auto' = human-readable lines when stdout is a terminal, JSON lines otherwise. */
  logFormat: LogFormat;
  version: string;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
