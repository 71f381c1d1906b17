import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { DiagnosticsService } from '../diagnostics/diagnostics.service';
import { currentRequestContext } from '../request-context/request-context';

function field(source: unknown, key: string): unknown {
  return source && typeof source === 'object' ? (source as Record<string, unknown>)[key] : undefined;
}

/** The original's per-request `http` diagnostics event, written when the response finishes. */
export function httpDiagnosticsMiddleware(diagnostics: DiagnosticsService): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    const context = currentRequestContext();
    res.on('finish', () => {
      const pick = (key: string): unknown => field(req.body, key) ?? field(req.query, key) ?? null;
      diagnostics.event('http', {
        method: req.method,
        path: req.path,
        status_code: res.statusCode,
        recipe_id: context?.recipeId ?? null,
        request_id: context?.requestId ?? null,
        role_id: pick('role_id'),
        roi_id: pick('roi_id'),
        model_key: pick('model_key'),
        elapsed_ms: Math.round((performance.now() - started) * 1000) / 1000,
      });
    });
    next();
  };
}
