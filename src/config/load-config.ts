import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AppConfig } from './app-config';
import { ConfigError } from './config-error';
import { Env, EnvReader } from './env-reader';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const DEVICES = ['auto', 'cpu', 'cuda'] as const;
const HEATMAP_SCALES = ['image', 'absolute'] as const;
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

/** configs/app.yaml keys (same sections as the original backend) mapped to the env variable they default. */
const YAML_KEYS: Record<string, [section: string, key: string]> = {
  BDI_CORESET_RATE: ['inference', 'coreset_rate'],
  BDI_SCORE_PERCENTILE: ['inference', 'score_percentile'],
  BDI_AREA_MM2_THR: ['inference', 'area_mm2_thr'],
  BDI_MIN_OK_SAMPLES: ['training', 'min_ok_samples'],
  BDI_TRAIN_DATASET_ONLY: ['training', 'dataset_only'],
  BDI_BACKBONE: ['inference', 'backbone'],
  BDI_DEVICE: ['inference', 'device'],
};

/** Reads the optional YAML file into env-named fallbacks. Env variables win over the file. */
function readYamlFallbacks(file: string | null): Record<string, unknown> {
  if (!file || !fs.existsSync(file)) return {};
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError('BDI_CONFIG_FILE', `(${file}) is not valid YAML: ${(error as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('BDI_CONFIG_FILE', `(${file}) must contain a mapping of sections`);
  }
  const sections = doc as Record<string, unknown>;
  const fallbacks: Record<string, unknown> = {};
  for (const [envName, [section, key]] of Object.entries(YAML_KEYS)) {
    const values = sections[section];
    if (values && typeof values === 'object' && key in values) {
      fallbacks[envName] = (values as Record<string, unknown>)[key];
    }
  }
  return fallbacks;
}

/** redis://[user:pass@]host:port[/db] or rediss://…; anything else stops the boot naming the variable. */
function readRedisUrl(raw: string | null): string | null {
  if (raw === null || raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('BDI_REDIS_URL', `is not a URL: ${raw}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError('BDI_REDIS_URL', `must be a redis:// or rediss:// URL, got ${raw}`);
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) throw new ConfigError('BDI_REDIS_URL', `database must be a number: ${raw}`);
  return raw;
}

function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version?: string };
    if (pkg.version) return pkg.version;
  } catch {
    // dist layout differs by one level
  }
  try {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface LoadConfigOptions {
  /** Directory that relative paths (models dir, config file) resolve against; default: process.cwd(). */
  cwd?: string;
  /** Logical CPU count; default: os.availableParallelism(). */
  cpus?: number;
}

/**
 * Builds the typed configuration from an environment record and the optional configs/app.yaml.
 * Throws ConfigError naming the variable on the first invalid value.
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): AppConfig {
  const cwd = options.cwd ?? process.cwd();
  const cpus = Math.max(1, options.cpus ?? os.availableParallelism());
  const configFileRaw = env.BDI_CONFIG_FILE?.trim();
  const configFile = configFileRaw ? path.resolve(cwd, configFileRaw) : path.resolve(cwd, 'configs/app.yaml');
  if (configFileRaw && !fs.existsSync(configFile)) {
    throw new ConfigError('BDI_CONFIG_FILE', `points to a missing file: ${configFile}`);
  }
  const read = new EnvReader(env, readYamlFallbacks(configFile));

  const modelsDir = path.resolve(cwd, read.string(['BDI_MODELS_DIR', 'BRAKEDISC_MODELS_DIR'], 'models'));
  const corsRaw = read.string(['BDI_CORS_ORIGINS', 'BRAKEDISC_CORS_ORIGINS'], '*');
  const corsList = corsRaw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  const workers = read.number(['BDI_WORKERS'], cpus, { min: 1, max: 64, integer: true });
  const maxUploadMb = read.number(['BDI_MAX_UPLOAD_MB', 'BRAKEDISC_MAX_UPLOAD_MB'], 20, { min: 0.001, max: 4096 });
  const runTimeoutSeconds = read.number(['JOB_RUN_TIMEOUT_SECONDS'], 8, { min: 0.001 });

  return {
    server: {
      host: read.string(['BDI_BACKEND_HOST', 'BRAKEDISC_BACKEND_HOST', 'HOST'], '127.0.0.1'),
      port: read.number(['BDI_BACKEND_PORT', 'BRAKEDISC_BACKEND_PORT', 'PORT'], 8000, { min: 0, max: 65535, integer: true }),
      corsOrigins: corsList.length === 0 || corsList.includes('*') ? '*' : corsList,
      apiKey: read.optionalString(['BDI_API_KEY']),
      maxUploadBytes: Math.round(maxUploadMb * 1024 * 1024),
      // A JSON body carries base64 images (4/3 of the bytes) plus fields.
      maxJsonBodyBytes: Math.round(maxUploadMb * 1024 * 1024 * 1.4) + 64 * 1024,
      maxFilesPerUpload: read.number(['BDI_MAX_FILES_PER_UPLOAD'], 500, { min: 1, integer: true }),
      shutdownGraceMs: read.number(['BDI_SHUTDOWN_GRACE_SECONDS'], 10, { min: 0 }) * 1000,
    },
    storage: {
      modelsDir,
      cacheMaxEntries: read.number(['BDI_CACHE_MAX_ENTRIES'], 32, { min: 1, integer: true }),
      // Beside the models by default: a checkout's `npm start` must not write into the repository.
      diagnosticsDir: path.resolve(cwd, read.string(['BDI_GUI_LOG_DIR'], path.join(modelsDir, 'logs'))),
      strictRecipes: read.boolean(['BDI_STRICT_RECIPES'], false),
    },
    inference: {
      backbone: read.optionalString(['BDI_BACKBONE']),
      device: read.oneOf(['BDI_DEVICE'], DEVICES, 'cpu'),
      requireCuda: read.boolean(['BDI_REQUIRE_CUDA'], false),
      workers,
      intraOpThreads: read.number(['BDI_ONNX_THREADS'], Math.max(1, Math.floor(cpus / workers)), {
        min: 1,
        max: 256,
        integer: true,
      }),
      maxQueue: read.number(['BDI_POOL_MAX_QUEUE'], workers * 16, { min: 1, integer: true }),
      // Dynamic batching of infer tasks (1 = off; see README): no gain measured on CPU, the lever on a GPU.
      batchMax: read.number(['BDI_BATCH_MAX'], 1, { min: 1, max: 256, integer: true }),
      batchDelayMs: read.number(['BDI_BATCH_DELAY_MS'], 2, { min: 0, max: 1000 }),
      // 0 = no cap. A cap makes a runaway task kill only its worker (Piscina replaces it), not the process.
      workerMaxHeapMb: read.number(['BDI_WORKER_MAX_HEAP_MB'], 0, { min: 0, max: 1_048_576, integer: true }) || null,
      maxImagePixels: read.number(['BDI_MAX_IMAGE_PIXELS'], 40_000_000, { min: 1, integer: true }),
      minMaskPixels: read.number(['BDI_MIN_MASK_PIXELS'], 64, { min: 1, integer: true }),
      coresetRate: read.number(['BDI_CORESET_RATE', 'BRAKEDISC_CORESET_RATE'], 0.1, { min: 1e-6, max: 1 }),
      // Fit-time choice of the detector profile on synthetic defects (engine/tuning); off: the backbone's baseline.
      selfTuning: read.boolean(['BDI_SELF_TUNING'], true),
      scorePercentile: read.number(['BDI_SCORE_PERCENTILE', 'BRAKEDISC_SCORE_PERCENTILE'], 99, { min: 0, max: 100 }),
      areaMm2Thr: read.number(['BDI_AREA_MM2_THR', 'BRAKEDISC_AREA_MM2_THR'], 1.0, { min: 0 }),
      maxScoresPerCalibration: read.number(['BDI_MAX_CALIBRATION_SCORES'], 100_000, { min: 1, integer: true }),
      heatmapScale: read.oneOf(['BDI_HEATMAP_SCALE'], HEATMAP_SCALES, 'image'),
    },
    training: {
      minOkSamples: read.number(['BDI_MIN_OK_SAMPLES', 'BRAKEDISC_MIN_OK_SAMPLES'], 10, { min: 1, integer: true }),
      datasetOnly: read.boolean(['BDI_TRAIN_DATASET_ONLY', 'BRAKEDISC_TRAIN_DATASET_ONLY'], true),
    },
    jobs: {
      dbPath: path.resolve(cwd, read.string(['BDI_JOBS_DB'], path.join(modelsDir, 'jobs.sqlite'))),
      runTimeoutSeconds,
      longRunTimeoutSeconds: read.number(['JOB_LONG_RUN_TIMEOUT_SECONDS'], Math.max(600, runTimeoutSeconds), {
        min: 0.001,
      }),
      ttlSeconds: read.number(['JOBS_TTL_SECONDS'], 1800, { min: 0 }),
      maxItems: read.number(['JOBS_MAX_ITEMS'], 200, { min: 1, integer: true }),
      // 0: an API-only node (Redis mode): it accepts jobs and never runs them.
      concurrency: read.number(['JOBS_CONCURRENCY'], workers, { min: 0, max: 256, integer: true }),
      sweepIntervalSeconds: read.number(['JOBS_SWEEP_INTERVAL_SECONDS'], 30, { min: 0.05 }),
      debugSleep: read.boolean(['BDI_DEBUG_SLEEP'], false),
      detectorModel: read.optionalString(['BDI_DETECTOR_MODEL']),
      redisUrl: readRedisUrl(read.optionalString(['BDI_REDIS_URL'])),
      redisPrefix: read.string(['BDI_REDIS_PREFIX'], 'bdi'),
      nodeId: read.string(['BDI_NODE_ID'], `${os.hostname()}-${process.pid}`),
      lockMs: read.number(['BDI_JOBS_LOCK_MS'], 30_000, { min: 200, integer: true }),
      maxStalled: read.number(['BDI_JOBS_MAX_STALLED'], 1, { min: 0, max: 100, integer: true }),
    },
    logLevel: read.oneOf(['LOG_LEVEL'], LOG_LEVELS, 'info'),
    logFormat: read.oneOf(['LOG_FORMAT'], LOG_FORMATS, 'auto'),
    version: readPackageVersion(),
  };
}
