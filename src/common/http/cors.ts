import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * CORS as the originals: allow all methods and requested headers, expose X-Request-Id/X-Recipe-Id, credentials
 * only with an explicit origin list. Only a real preflight (OPTIONS + Access-Control-Request-Method) is answered
 * here; a bare OPTIONS falls through to the router so known paths answer 405 (the WPF GUI probes /fit_ok this way).
 */
export function corsMiddleware(origins: string[] | '*'): RequestHandler {
  const any = origins === '*';
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin) {
      const allowed = any || origins.includes(origin);
      if (allowed) {
        res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
        if (!any) {
          res.setHeader('Access-Control-Allow-Credentials', 'true');
          res.append('Vary', 'Origin');
        }
        res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, X-Recipe-Id, Retry-After');
      }
      const preflightMethod = req.headers['access-control-request-method'];
      if (req.method === 'OPTIONS' && preflightMethod) {
        if (allowed) {
          res.setHeader('Access-Control-Allow-Methods', 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT');
          const requested = req.headers['access-control-request-headers'];
          if (requested) res.setHeader('Access-Control-Allow-Headers', requested);
          res.setHeader('Access-Control-Max-Age', '600');
        }
        res.status(allowed ? 200 : 403).json({ status: allowed ? 'ok' : 'origin_not_allowed' });
        return;
      }
    }
    next();
  };
}
