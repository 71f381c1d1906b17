import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options } from 'pino-http';

type Res = ServerResponse & { locals?: { errorCode?: string } };

/**
 * One line per request an operator can read: method, path, status and time; 4xx at warn and 5xx at error with
 * the error code (set by sendError) and the request id (the logger's mixin adds it). No headers.
 */
export function httpLogOptions(): Options {
  return {
    genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id: string }).id,
    // Health probes and the monitor's polling would drown the log.
    autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|monitor)/.test(req.url ?? '') },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customProps: (_req, res) => {
      const code = (res as Res).locals?.errorCode;
      return code ? { errorCode: code } : {};
    },
    customSuccessMessage: (req, res, ms) => `${req.method} ${req.url} ${res.statusCode} ${ms} ms${errorCodeSuffix(res)}`,
    customErrorMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}${errorCodeSuffix(res)}`,
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

function errorCodeSuffix(res: ServerResponse): string {
  const code = (res as Res).locals?.errorCode;
  return code ? ` ${code}` : '';
}
