// The one place the 422 validation_error body is assembled, and the one validation path for DTOs: the global pipe
// (routes) and the job task registry (task payloads) both call validateDto().
import { validateSync, ValidationError } from 'class-validator';
import { ApiError } from '../errors/api-error';
import { currentRequestContext } from '../request-context/request-context';
import { coercionsOf } from './coerce';

/** One failing field: where it sits (`['body', 'role_id']`), its name, and what is wrong (never the value). */
export interface FieldError {
  loc: string[];
  field: string;
  message: string;
}

/** 422 validation_error naming every failing field; `path` is the request's path when there is one. */
export function validationError(errors: FieldError[], message?: string): ApiError {
  const path = currentRequestContext()?.path;
  return new ApiError('validation_error', message, path === undefined ? { errors } : { errors, path });
}

/** A single failing field at `loc` (e.g. a body that is not a JSON object: `['body']`). */
export function fieldError(loc: string[], message: string): FieldError {
  return { loc, field: loc[loc.length - 1], message };
}

/**
 * plain → DTO instance (a shallow copy, then each @Coerce of the class: the Python-compatible coercions of
 * common/wire) → class-validator. Throws validationError naming each field under `location`; never echoes input
 * values (bodies carry images).
 */
export function validateDto<T extends object>(dto: new () => T, plain: unknown, location: string[]): T {
  if (plain === undefined || plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw validationError([fieldError(location, 'Input should be a valid dictionary')]);
  }
  const instance = Object.assign(new dto(), plain);
  const fields = instance as Record<string, unknown>;
  for (const [key, coerce] of coercionsOf(dto)) fields[key] = coerce((plain as Record<string, unknown>)[key]);
  const errors = validateSync(instance, { forbidUnknownValues: false, validationError: { target: false, value: false } });
  if (errors.length > 0) {
    throw validationError(flatten(errors).map(({ field, message }) => ({ loc: [...location, ...field.split('.')], field, message })));
  }
  return instance;
}

function flatten(errors: ValidationError[], parent = ''): Array<{ field: string; message: string }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
