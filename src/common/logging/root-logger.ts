import pino, { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { currentRequestContext } from '../request-context/request-context';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** JSON logger of the process; every line written during a request carries that request's id. */
export function createRootLogger(config: AppConfig): Logger {
  return pino({
    level: config.logLevel,
    base: { pid: process.pid, service: 'bdi-backend' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const requestId = currentRequestContext()?.requestId;
      return requestId ? { requestId } : {};
    },
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
  });
}
