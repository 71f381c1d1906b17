import { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { quietBootLogger } from './common/logging/nest-log-bridge';
import { ROOT_LOGGER } from './common/logging/root-logger';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { DiagnosticsService } from './common/diagnostics/diagnostics.service';
import { sendError } from './common/errors/error-response';
import { apiKeyMiddleware } from './common/auth/api-key.middleware';
import { corsMiddleware } from './common/http/cors';
import { httpDiagnosticsMiddleware } from './common/http/http-diagnostics.middleware';
import { routeTable } from './common/http/route-table';
import { requestContextMiddleware } from './common/request-context/request-context.middleware';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { setupOpenApi } from './openapi';

/** Repository root (works from src/ under ts-jest and from dist/src/ when compiled). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/**
 * Builds the fully configured application without listening: used by main.ts and by the e2e suites, so tests
 * exercise exactly the middleware chain that production runs (`extraModules` lets a suite mount a probe route).
 */
export async function createApp(
  config: AppConfig,
  options: { extraModules?: Array<Type | DynamicModule> } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options.extraModules), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(quietBootLogger(app.get(Logger)));
  app.set('trust proxy', false);
  app.disable('x-powered-by');
  // No weak ETag (a SHA-1 over every JSON body, /infer's heatmap included) on API responses: the original sent none,
  // and the routes that do offer one (dataset files, static files) set their own.
  app.set('etag', false);
  const logger = app.get<PinoInstance>(ROOT_LOGGER);

  app.use(requestContextMiddleware);
  app.use(corsMiddleware(config.server.corsOrigins));
  app.use(httpDiagnosticsMiddleware(app.get(DiagnosticsService)));
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  if (config.server.apiKey) app.use(apiKeyMiddleware(config.server.apiKey, logger));
  app.use(express.json({ limit: config.server.maxJsonBodyBytes, type: ['application/json', 'application/*+json'] }));
  app.use(express.urlencoded({ extended: false, limit: config.server.maxJsonBodyBytes }));
  // Body-parser failures happen before Nest's routing: render them with the same contract.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => sendError(error, req, res, logger));

  const monitorDir = path.join(projectRoot(), 'public', 'monitor');
  if (fs.existsSync(monitorDir)) {
    app.use('/monitor', express.static(monitorDir, { index: 'index.html', fallthrough: true }));
  }
  setupOpenApi(app, config);

  await app.init();
  routeTable.capture(app.getHttpAdapter().getInstance());
  return app;
}
