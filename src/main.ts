import 'reflect-metadata';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from './common/logging/root-logger';
import { createApp } from './app.factory';
import { DiagnosticsService } from './common/diagnostics/diagnostics.service';
import { ConfigError } from './config/config-error';
import { loadConfig } from './config/load-config';
import { AppConfig } from './config/app-config';
import { printBootBanner } from './common/logging/boot-banner';
import { InferencePoolService } from './pool/pool.service';

function readConfig(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function bootstrap(): Promise<void> {
  const config = readConfig();
  const app = await createApp(config);
  const logger = app.get<Logger>(ROOT_LOGGER);
  const diagnostics = app.get(DiagnosticsService);

  await app.listen(config.server.port, config.server.host);
  diagnostics.event('startup', {
    cwd: process.cwd(),
    resolved_log_dir: config.storage.diagnosticsDir,
    resolved_log_file: diagnostics.file,
    models_dir: config.storage.modelsDir,
    env_BDI_GUI_LOG_DIR: process.env.BDI_GUI_LOG_DIR ?? null,
    env_LOCALAPPDATA: process.env.LOCALAPPDATA ?? null,
    is_wsl: Boolean(process.env.WSL_DISTRO_NAME || process.env.WSL_INTEROP),
  });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const engine = app.get(InferencePoolService).engineHealth();
  printBootBanner(config, port, { backbone: engine.model, device: engine.device, workers: engine.workers, diagnosticsFile: diagnostics.file }, logger);

  // Graceful stop: refuse new connections, let in-flight requests finish (bounded), then close the pool and DB.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const server = app.getHttpServer();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, config.server.shutdownGraceMs).unref());
    void Promise.race([closed, grace])
      .then(() => server.closeAllConnections())
      .then(() => app.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void bootstrap();
