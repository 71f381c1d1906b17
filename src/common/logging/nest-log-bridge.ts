import type { LoggerService } from '@nestjs/common';

/** Nest's boot chatter (one line per module and per route, ~50 lines) goes to debug; everything else passes. */
const BOOT_NOISE = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

export function quietBootLogger(inner: LoggerService): LoggerService {
  const isNoise = (params: unknown[]) => BOOT_NOISE.has(String(params[params.length - 1]));
  return {
    log: (message: unknown, ...params: unknown[]) =>
      isNoise(params) ? inner.debug?.(message, ...params) : inner.log(message, ...params),
    error: (message: unknown, ...params: unknown[]) => inner.error(message, ...params),
    warn: (message: unknown, ...params: unknown[]) => inner.warn(message, ...params),
    debug: (message: unknown, ...params: unknown[]) => inner.debug?.(message, ...params),
    verbose: (message: unknown, ...params: unknown[]) => inner.verbose?.(message, ...params),
    fatal: (message: unknown, ...params: unknown[]) => (inner.fatal ?? inner.error).call(inner, message, ...params),
  };
}
