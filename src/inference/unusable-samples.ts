// Stored dataset samples that cannot be fitted or scored: fit and calibration name every one of them, by the
// client's original file name, instead of failing on the first or silently skipping them.
import { ApiError } from '../common/errors/api-error';
import { ErrorCode, isErrorCode } from '../common/errors/error-codes';
import type { DatasetLabel } from '../recipes/model-store';

export interface UnusableSample {
  label: DatasetLabel;
  /** The server-generated stored name. */
  filename: string;
  /** The client's file name at upload (null for samples stored before it was kept). */
  original_filename: string | null;
  code: string;
  reason: string;
}

/** How messages name a stored sample: the client's name first. */
export function sampleDisplayName(filename: string, originalFilename: string | null): string {
  return originalFilename && originalFilename !== filename ? `${originalFilename} (stored as ${filename})` : filename;
}

export function unusableSamplesError(samples: UnusableSample[]): ApiError {
  const list = samples.map((s) => `${sampleDisplayName(s.filename, s.original_filename)}: ${s.reason}`).join('; ');
  const images = samples.every((s) => s.code === 'invalid_image' || s.code === 'image_too_large');
  let code: ErrorCode = isErrorCode(samples[0].code) ? samples[0].code : 'bad_request';
  if (images) code = samples.every((s) => s.code === 'image_too_large') ? 'image_too_large' : 'invalid_image';
  const head = images ? 'No se pudo decodificar la imagen' : `${samples.length} stored sample(s) cannot be used`;
  return new ApiError(code, `${head}: ${list}. Delete or replace them (DELETE /datasets/file) and retry.`, {
    n_unusable: samples.length,
    samples,
  });
}
