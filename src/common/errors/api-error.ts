import { ERROR_CODES, ErrorCode, isErrorCode } from './error-codes';

export type ErrorDetails = Record<string, unknown> | null;

/** A failure with a contract code; the global filter turns it into the JSON error body. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: ErrorDetails = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'ApiError';
    this.status = ERROR_CODES[code].status;
  }
}

/**
 * Errors from code that must not import the HTTP layer (the engine, workers) carry a contract `code`
 * (and optional `details`); this recognises them.
 */
export interface CodedError {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
}

export function isCodedError(error: unknown): error is CodedError {
  return (
    typeof error === 'object' &&
    error !== null &&
    isErrorCode((error as { code?: unknown }).code) &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

export function toApiError(error: CodedError): ApiError {
  return error instanceof ApiError ? error : new ApiError(error.code, error.message, error.details ?? null);
}
