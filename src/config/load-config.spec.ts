import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

describe('loadConfig', () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-config-'));
  const load = (env: Record<string, string>) => loadConfig(env, { cwd, cpus: 2 });

  it('uses the documented defaults on an empty environment', () => {
    const config = load({});
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.server.port).toBe(8000);
    expect(config.server.corsOrigins).toBe('*');
    expect(config.server.maxUploadBytes).toBe(20 * 1024 * 1024);
    expect(config.storage.modelsDir).toBe(path.join(cwd, 'models'));
    expect(config.inference).toMatchObject({ device: 'cpu', requireCuda: false, workers: 2, intraOpThreads: 1, coresetRate: 0.1, scorePercentile: 99, areaMm2Thr: 1 });
    expect(config.training).toEqual({ minOkSamples: 10, datasetOnly: true });
    expect(config.jobs).toMatchObject({ runTimeoutSeconds: 8, longRunTimeoutSeconds: 600, ttlSeconds: 1800, maxItems: 200, concurrency: 2, debugSleep: false });
    expect(config.jobs.dbPath).toBe(path.join(cwd, 'models', 'jobs.sqlite'));
  });

  it('reads BDI_WORKER_MAX_HEAP_MB: unset or 0 = no cap, else an integer number of MB', () => {
    expect(load({}).inference.workerMaxHeapMb).toBeNull();
    expect(load({ BDI_WORKER_MAX_HEAP_MB: '0' }).inference.workerMaxHeapMb).toBeNull();
    expect(load({ BDI_WORKER_MAX_HEAP_MB: '512' }).inference.workerMaxHeapMb).toBe(512);
    expect(() => load({ BDI_WORKER_MAX_HEAP_MB: '-1' })).toThrow(ConfigError);
    expect(() => load({ BDI_WORKER_MAX_HEAP_MB: '1.5' })).toThrow('BDI_WORKER_MAX_HEAP_MB');
  });

  it('takes BDI_BACKEND_* over legacy BRAKEDISC_* over PORT/HOST', () => {
    expect(load({ PORT: '9000', HOST: '0.0.0.0' }).server).toMatchObject({ port: 9000, host: '0.0.0.0' });
    expect(load({ PORT: '9000', BRAKEDISC_BACKEND_PORT: '9001' }).server.port).toBe(9001);
    expect(load({ PORT: '9000', BRAKEDISC_BACKEND_PORT: '9001', BDI_BACKEND_PORT: '9002' }).server.port).toBe(9002);
  });

  it('reads legacy BRAKEDISC_* aliases', () => {
    const config = load({ BRAKEDISC_MODELS_DIR: '/srv/m', BRAKEDISC_CORESET_RATE: '0.25', BRAKEDISC_CORS_ORIGINS: 'http://a, http://b' });
    expect(config.storage.modelsDir).toBe('/srv/m');
    expect(config.inference.coresetRate).toBe(0.25);
    expect(config.server.corsOrigins).toEqual(['http://a', 'http://b']);
  });

  it('accepts fractional job timeouts and derives the jobs DB from the models dir', () => {
    const config = load({ JOB_RUN_TIMEOUT_SECONDS: '0.05', BDI_MODELS_DIR: '/data/models' });
    expect(config.jobs.runTimeoutSeconds).toBe(0.05);
    expect(config.jobs.dbPath).toBe('/data/models/jobs.sqlite');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be an integer'],
    [{ BDI_BACKEND_PORT: '70000' }, 'BDI_BACKEND_PORT must be <= 65535'],
    [{ JOBS_MAX_ITEMS: '0' }, 'JOBS_MAX_ITEMS must be >= 1'],
    [{ JOB_RUN_TIMEOUT_SECONDS: 'soon' }, 'JOB_RUN_TIMEOUT_SECONDS must be a number'],
    [{ BDI_REQUIRE_CUDA: 'maybe' }, 'BDI_REQUIRE_CUDA must be a boolean'],
    [{ BDI_DEVICE: 'tpu' }, 'BDI_DEVICE must be one of auto|cpu|cuda'],
    [{ BDI_CORESET_RATE: '1.5' }, 'BDI_CORESET_RATE must be <= 1'],
    [{ BRAKEDISC_MIN_OK_SAMPLES: '2.5' }, 'BRAKEDISC_MIN_OK_SAMPLES must be an integer'],
  ])('stops on %p naming the variable', (env, message) => {
    expect(() => load(env as Record<string, string>)).toThrow(ConfigError);
    expect(() => load(env as Record<string, string>)).toThrow(message);
  });

  it('reads configs/app.yaml sections, with env variables winning over the file', () => {
    const file = path.join(cwd, 'app.yaml');
    fs.writeFileSync(file, 'inference:\n  coreset_rate: 0.05\n  score_percentile: 95\ntraining:\n  min_ok_samples: 3\n  dataset_only: false\n');
    const fromFile = load({ BDI_CONFIG_FILE: file });
    expect(fromFile.inference.coresetRate).toBe(0.05);
    expect(fromFile.inference.scorePercentile).toBe(95);
    expect(fromFile.training).toEqual({ minOkSamples: 3, datasetOnly: false });
    expect(load({ BDI_CONFIG_FILE: file, BDI_CORESET_RATE: '0.2' }).inference.coresetRate).toBe(0.2);
  });

  it('names the YAML key when a file value is invalid', () => {
    const file = path.join(cwd, 'bad.yaml');
    fs.writeFileSync(file, 'inference:\n  coreset_rate: lots\n');
    expect(() => load({ BDI_CONFIG_FILE: file })).toThrow('BDI_CORESET_RATE (configs) must be a number');
  });

  it('refuses a BDI_CONFIG_FILE that does not exist', () => {
    expect(() => load({ BDI_CONFIG_FILE: '/nope/app.yaml' })).toThrow('BDI_CONFIG_FILE points to a missing file');
  });
});
