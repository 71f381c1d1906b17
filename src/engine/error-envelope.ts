// Typed errors crossing the worker boundary. Structured clone keeps only an Error's message and stack, so the
// worker returns failures as a plain envelope and the pool rebuilds an instance of the same class from it.
import { BackboneError } from './backbone/backbone-error'; // not './backbone': keeps ONNX Runtime out of the main thread
import {
  AbortedError,
  ArtifactNotFoundError,
  CalibrationError,
  CorruptArtifactError,
  EngineError,
  FaissError,
  ImageDecodeError,
  InvalidArgumentError,
  InvalidShapeError,
  NativeUnavailableError,
  PoolSaturatedError,
  TokenGridMismatchError,
} from './engine-error';

export interface ErrorEnvelope {
  name: string;
  code: string;
  message: string;
  details: Record<string, unknown> | null;
  stack?: string;
}

type ErrorClass = { prototype: Error };

// Name → class. A class added here survives the thread boundary as itself.
const TYPED_ERRORS: Record<string, ErrorClass> = {
  EngineError,
  ImageDecodeError,
  InvalidShapeError,
  InvalidArgumentError,
  CalibrationError,
  CorruptArtifactError,
  TokenGridMismatchError,
  FaissError,
  NativeUnavailableError,
  AbortedError,
  ArtifactNotFoundError,
  PoolSaturatedError,
  BackboneError,
};

export function registerTypedError(name: string, cls: ErrorClass): void {
  TYPED_ERRORS[name] = cls;
}

export function toErrorEnvelope(err: unknown): ErrorEnvelope {
  if (err instanceof Error) {
    const typed = err as Error & { code?: unknown; details?: unknown };
    const known = TYPED_ERRORS[err.name] !== undefined && typeof typed.code === 'string';
    return {
      name: known ? err.name : 'Error',
      code: known ? (typed.code as string) : 'internal_error',
      message: err.message,
      details: isRecord(typed.details) ? typed.details : null,
      stack: err.stack,
    };
  }
  return { name: 'Error', code: 'internal_error', message: String(err), details: null };
}

/** Rebuilds the worker's error: same class (so `instanceof` works), code, message and details. */
export function fromErrorEnvelope(envelope: ErrorEnvelope): Error {
  const cls = TYPED_ERRORS[envelope.name];
  const err: Error = cls ? (Object.create(cls.prototype) as Error) : new EngineError('internal_error', envelope.message);
  Object.defineProperties(err, {
    name: { value: envelope.name === 'Error' ? 'EngineError' : envelope.name, writable: true, configurable: true },
    message: { value: envelope.message, writable: true, configurable: true },
    code: { value: envelope.code, writable: true, configurable: true, enumerable: true },
    details: { value: envelope.details, writable: true, configurable: true, enumerable: true },
    stack: { value: envelope.stack ?? `${envelope.name}: ${envelope.message}`, writable: true, configurable: true },
  });
  if (err instanceof CorruptArtifactError || err instanceof ArtifactNotFoundError) {
    Object.defineProperty(err, 'file', { value: String(envelope.details?.file ?? ''), enumerable: true });
  }
  return err;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
