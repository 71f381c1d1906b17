import { HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { safeRecipeId } from '../wire/recipe-id';
import { routeTable } from '../http/route-table';
import { currentRequestContext } from '../request-context/request-context';
import { requestIdFrom } from '../request-context/request-id';
import { ApiError, isCodedError, toApiError } from './api-error';
import { fieldError, validationError } from '../validation/validation-error';
import { ErrorCode } from './error-codes';
import { insufficientStorage, isStorageFull } from './storage-full';

/** The JSON error contract; inspection routes add error/request_id/recipe_id for the WPF GUI. */
export interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
  details: Record<string, unknown> | null;
  error?: string;
  request_id?: string;
  recipe_id?: string;
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

function fromHttpException(exception: HttpException, req: Request): ApiError {
  const status = exception.getStatus();
  if (status === 404) {
    const allowed = routeTable.allowedMethods(req.path);
    if (allowed.length > 0) {
      return new ApiError('method_not_allowed', undefined, { method: req.method, path: req.path, allowed }, {
        Allow: allowed.join(', '),
      });
    }
    return new ApiError('not_found', undefined, { path: req.path });
  }
  const byStatus: Partial<Record<number, ErrorCode>> = {
    400: 'bad_request',
    401: 'unauthorized',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    422: 'validation_error',
    503: 'overloaded',
  };
  const code = byStatus[status];
  if (!code) return new ApiError('internal_error');
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null && typeof (response as { message?: unknown }).message === 'string'
      ? (response as { message: string }).message
      : exception.message;
  return new ApiError(code, code === 'payload_too_large' ? undefined : message, { path: req.path });
}

function fromBodyParser(error: BodyParserError, req: Request): ApiError | undefined {
  switch (error.type) {
    case 'entity.too.large': {
      const limit = (error as { limit?: unknown }).limit;
      if (typeof limit !== 'number') return new ApiError('payload_too_large', undefined, { path: req.path });
      return new ApiError('payload_too_large', `Payload too large: the body exceeds the limit of ${limit} bytes (1.4 × BDI_MAX_UPLOAD_MB)`, {
        path: req.path,
        limit_bytes: limit,
      });
    }
    case 'entity.parse.failed':
      return validationError([fieldError(['body'], 'Body is not valid JSON')]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('unsupported_media_type', undefined, { path: req.path });
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return validationError([fieldError(['body'], 'Request body could not be read')], 'Request body could not be read');
    default:
      return undefined;
  }
}

function payloadRecipeId(req: Request): unknown {
  const body = req.body as Record<string, unknown> | undefined;
  const query = req.query as Record<string, unknown> | undefined;
  return (body && typeof body === 'object' ? body.recipe_id : undefined) ?? query?.recipe_id;
}

/** Maps anything thrown while serving a request to an ApiError; unknown errors become internal_error. */
export function toContractError(exception: unknown, req: Request): { error: ApiError; unexpected: boolean } {
  if (exception instanceof ApiError) return { error: exception, unexpected: false };
  // A write path that did not name its directory: still 507, never a generic 500.
  if (isStorageFull(exception)) {
    const file = (exception as { path?: unknown }).path;
    return { error: insufficientStorage(typeof file === 'string' ? file : 'the models directory', null), unexpected: false };
  }
  if (isCodedError(exception)) return { error: toApiError(exception), unexpected: exception.code === 'internal_error' };
  const parserError = typeof exception === 'object' && exception !== null ? fromBodyParser(exception as BodyParserError, req) : undefined;
  if (parserError) return { error: parserError, unexpected: false };
  if (exception instanceof HttpException) {
    const error = fromHttpException(exception, req);
    return { error, unexpected: error.code === 'internal_error' };
  }
  return { error: new ApiError('internal_error'), unexpected: true };
}

/** Writes the error contract for one failed request. The stack goes to the log, never to the body. */
export function sendError(exception: unknown, req: Request, res: Response, logger: Logger): void {
  const { error, unexpected } = toContractError(exception, req);
  const context = currentRequestContext();
  const requestId = context?.requestId ?? (req as Request & { id?: string }).id ?? requestIdFrom(undefined);
  if (unexpected) {
    logger.error({ err: exception, requestId, path: req.path }, 'unhandled error');
  } else if (error.status >= 500 && error.status !== 503) {
    logger.error({ code: error.code, message: error.message, details: error.details, requestId }, 'request failed');
  }
  const body: ErrorBody = { code: error.code, message: error.message, requestId, details: error.details ?? null };
  if (context?.legacyErrorKeys ?? false) {
    body.error = error.message;
    body.request_id = requestId;
    body.recipe_id = context?.recipeId ?? safeRecipeId(payloadRecipeId(req), req.headers['x-recipe-id']);
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  // The request's log line (pino-http, at warn/error) names the code.
  res.locals.errorCode = error.code;
  res.setHeader('X-Request-Id', requestId);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json(body);
}
