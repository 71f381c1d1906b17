import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { MetricsService } from './metrics.service';

/** Observes every request under its route template (never the raw path, which would explode cardinality). */
export function httpMetricsMiddleware(metrics: MetricsService): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // Nest's not-found handler is itself a wildcard route; it must not count as one.
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const matched = routePath !== undefined && !routePath.includes('*');
      const route = matched ? `${req.baseUrl}${routePath}` : req.path.startsWith('/monitor') ? '/monitor' : 'unmatched';
      metrics.observeHttp(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
