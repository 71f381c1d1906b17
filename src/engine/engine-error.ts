// Typed failures of the engine. `code` is the contract code the API layer maps to an HTTP status; every class
// is registered by name so the pool can rebuild the same class on the main thread (see error-envelope.ts).

export const ENGINE_ERRORS = {
  invalid_image: 'Image could not be decoded',
  image_too_large: 'Image exceeds the decoded pixel limit',
  invalid_shape: 'Invalid ROI shape',
  invalid_argument: 'Invalid argument',
  calibration_failed: 'Calibration failed',
  corrupt_artifact: 'Model artifact is corrupt',
  artifact_not_found: 'Model artifact not found',
  token_grid_mismatch: 'Token grid does not match',
  faiss_error: 'FAISS operation failed',
  native_unavailable: 'Native addon is not available',
  aborted: 'Operation aborted',
  pool_saturated: 'Inference queue is full',
  internal_error: 'Internal engine error',
} as const;

export type EngineErrorCode = keyof typeof ENGINE_ERRORS;
export type ErrorDetails = Record<string, unknown> | null;

export class EngineError extends Error {
  override name = 'EngineError';

  constructor(
    readonly code: EngineErrorCode,
    message: string = ENGINE_ERRORS[code],
    readonly details: ErrorDetails = null,
  ) {
    super(message);
  }
}

/** Undecodable, unsupported or oversized image bytes (→ 400). */
export class ImageDecodeError extends EngineError {
  override name = 'ImageDecodeError';
  constructor(code: 'invalid_image' | 'image_too_large', message: string, details: ErrorDetails = null) {
    super(code, message, details);
  }
}

/** A `shape` JSON the mask builder cannot use, e.g. `w: "10.5"` (→ 400, as the original's ValueError). */
export class InvalidShapeError extends EngineError {
  override name = 'InvalidShapeError';
  constructor(message: string, details: ErrorDetails = null) {
    super('invalid_shape', message, details);
  }
}

export class InvalidArgumentError extends EngineError {
  override name = 'InvalidArgumentError';
  constructor(message: string, details: ErrorDetails = null) {
    super('invalid_argument', message, details);
  }
}

export class CalibrationError extends EngineError {
  override name = 'CalibrationError';
  constructor(message: string, details: ErrorDetails = null) {
    super('calibration_failed', message, details);
  }
}

/** A memory bank / index file that cannot be parsed. Always names the file. */
export class CorruptArtifactError extends EngineError {
  override name = 'CorruptArtifactError';
  constructor(readonly file: string, reason: string, details: ErrorDetails = null) {
    super('corrupt_artifact', `Corrupt model artifact ${file}: ${reason}`, { file, ...(details ?? {}) });
  }
}

/** An artifact path the caller resolved no longer exists (e.g. deleted between resolution and load). */
export class ArtifactNotFoundError extends EngineError {
  override name = 'ArtifactNotFoundError';
  constructor(readonly file: string) {
    super('artifact_not_found', `Model artifact not found: ${file}`, { file });
  }
}

/** Features whose token grid differs from the one the memory was fitted with (or between fit images). */
export class TokenGridMismatchError extends EngineError {
  override name = 'TokenGridMismatchError';
  constructor(message: string, details: ErrorDetails = null) {
    super('token_grid_mismatch', message, details);
  }
}

export class FaissError extends EngineError {
  override name = 'FaissError';
  constructor(message: string, details: ErrorDetails = null) {
    super('faiss_error', message, details);
  }
}

export class NativeUnavailableError extends EngineError {
  override name = 'NativeUnavailableError';
  constructor(message: string, details: ErrorDetails = null) {
    super('native_unavailable', message, details);
  }
}

/** A long task stopped because its caller raised the abort flag (cancel or timeout). */
export class AbortedError extends EngineError {
  override name = 'AbortedError';
  constructor(message = 'Operation aborted', details: ErrorDetails = null) {
    super('aborted', message, details);
  }
}

export class PoolSaturatedError extends EngineError {
  override name = 'PoolSaturatedError';
  constructor(message = ENGINE_ERRORS.pool_saturated, details: ErrorDetails = null) {
    super('pool_saturated', message, details);
  }
}
