import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError } from '../errors/api-error';
import { sendError } from '../errors/error-response';

/** Paths that stay open with BDI_API_KEY set: liveness, and the monitor's static page (it asks for the key). */
function isOpenPath(path: string): boolean {
  return path === '/health/live' || path === '/monitor' || path.startsWith('/monitor/');
}

function presentedKey(req: Request): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  const header = req.headers['x-api-key'];
  return Array.isArray(header) ? header[0] : header;
}

/** Digests first, so the comparison takes the same time whatever the length or content of the guess. */
function sameKey(candidate: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(createHash('sha256').update(candidate).digest(), expectedDigest);
}

/** Optional API key (SPEC: every route except /health/live); 401 `unauthorized` in the error contract. */
export function apiKeyMiddleware(apiKey: string, logger: Logger): RequestHandler {
  const expected = createHash('sha256').update(apiKey).digest();
  return (req: Request, res: Response, next: NextFunction) => {
    if (isOpenPath(req.path)) return next();
    const candidate = presentedKey(req);
    if (candidate !== undefined && sameKey(candidate, expected)) return next();
    sendError(
      new ApiError('unauthorized', undefined, null, { 'WWW-Authenticate': 'Bearer realm="bdi"' }),
      req,
      res,
      logger,
    );
  };
}
