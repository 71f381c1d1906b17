import type { NextFunction, Request, Response } from 'express';
import { isLegacyInspectionPath } from './legacy-routes';
import { runWithRequestContext } from './request-context';
import { requestIdFrom } from './request-id';

/** First middleware of the app: assigns the request id, echoes it, and opens the request's async context. */
export function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const requestId = requestIdFrom(req.headers['x-request-id']);
  (req as Request & { id: string }).id = requestId;
  res.setHeader('X-Request-Id', requestId);
  runWithRequestContext(
    { requestId, path: req.path, legacyErrorKeys: isLegacyInspectionPath(req.path), startedAt: performance.now() },
    () => next(),
  );
}
