import pino, { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { currentRequestContext } from '../request-context/request-context';
import { isPrettyLogFormat, prettyDestination } from './pretty-destination';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * The logger of the process; every line written during a request carries that request's id. JSON lines, or
 * human-readable ones when LOG_FORMAT asks for them (auto: when stdout is a terminal).
 */
export function createRootLogger(config: AppConfig, stdoutIsTty: boolean = Boolean(process.stdout.isTTY)): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { pid: process.pid, service: 'bdi-backend' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const requestId = currentRequestContext()?.requestId;
      return requestId ? { requestId } : {};
    },
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
  };
  if (!isPrettyLogFormat(config.logFormat, stdoutIsTty)) return pino(options);
  return pino(options, prettyDestination({ colors: stdoutIsTty }));
}
