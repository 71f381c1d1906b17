import { ApiError } from '../common/errors/api-error';
import { parsePythonFloat } from '../common/wire/python-values';

/** The original's validator: float(v), finite and > 0, else 400 `mm_per_px must be > 0 and finite`. */
export function validateMmPerPx(value: unknown): number {
  let mm: number | undefined;
  if (typeof value === 'number') mm = value;
  else if (typeof value === 'string') mm = parsePythonFloat(value);
  if (mm === undefined || !Number.isFinite(mm) || mm <= 0) {
    throw new ApiError('invalid_mm_per_px', undefined, { mm_per_px: typeof value === 'number' || typeof value === 'string' ? String(value) : null });
  }
  return mm;
}
