import { DynamicModule, Type } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApp } from '../../../src/app.factory';
import { AppConfig } from '../../../src/config/app-config';
import { loadConfig } from '../../../src/config/load-config';

export interface TestApp {
  app: NestExpressApplication;
  server: ReturnType<NestExpressApplication['getHttpServer']>;
  config: AppConfig;
  modelsDir: string;
  logDir: string;
  close(): Promise<void>;
}

/** The real application on a fresh temporary models directory (real workers, ONNX, FAISS, SQLite). */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { extraModules?: Array<Type | DynamicModule>; modelsDir?: string } = {},
): Promise<TestApp> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-e2e-'));
  const modelsDir = options.modelsDir ?? path.join(root, 'models');
  const logDir = path.join(root, 'logs');
  const config = loadConfig(
    {
      BDI_MODELS_DIR: modelsDir,
      BDI_GUI_LOG_DIR: logDir,
      BDI_WORKERS: '1',
      LOG_LEVEL: 'silent',
      BDI_CONFIG_FILE: '',
      ...redisBackend(modelsDir),
      ...env,
    },
    { cwd: root },
  );
  const app = await createApp(config, options);
  return {
    app,
    server: app.getHttpServer(),
    config,
    modelsDir,
    logDir,
    async close() {
      await app.close();
      // root holds the logs, and the models unless the caller brought its own (which it removes).
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * With BDI_TEST_REDIS_URL set (see support/redis-server.ts withRedisBackend), apps use the Redis job backend; the key
 * prefix follows the models directory, so an app restarted on the same directory finds its jobs again.
 */
function redisBackend(modelsDir: string): Record<string, string> {
  const url = process.env.BDI_TEST_REDIS_URL;
  if (!url) return {};
  return { BDI_REDIS_URL: url, BDI_REDIS_PREFIX: `bdi-test-${createHash('sha1').update(modelsDir).digest('hex').slice(0, 12)}` };
}

/** Lines of the diagnostics JSONL written so far. */
export function readDiagnostics(logDir: string): Array<Record<string, unknown>> {
  const file = path.join(logDir, 'backend_diagnostics.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
