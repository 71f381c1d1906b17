// Engine failures → the API error contract, and the "memory missing" message of each route.
import * as path from 'node:path';
import { ApiError } from '../common/errors/api-error';
import { insufficientStorage, isStorageFull } from '../common/errors/storage-full';

/** Where a "memory missing" message points the user; the GUI matches the /infer wording. */
export type MemoryRoute = '/infer' | '/infer_dataset' | '/calibrate_dataset';

/** Failures of the model or the pool: they end a dataset run instead of becoming one item's error. */
export const MODEL_OR_POOL_FAILURES: ReadonlySet<string> = new Set(['overloaded', 'internal_error', 'memory_not_fitted', 'corrupt_artifact', 'worker_crashed']);

/** The GUI's exact text; `details` says which recipe/role/ROI was looked for and where. */
export function memoryNotFitted(route: MemoryRoute, details: Record<string, unknown> | null = null): ApiError {
  return new ApiError('memory_not_fitted', `Memoria no encontrada. Ejecuta /fit_ok antes de ${route}.`, details);
}

/** Starts with the code the GUI matches, then says what to run for which model. */
export function calibrationMissing(ref: { recipeId: string; roleId: string; roiId: string }, details: Record<string, unknown>): ApiError {
  return new ApiError(
    'calibration_missing',
    `calibration_missing: run /calibrate_dataset or /calibrate_ng for recipe '${ref.recipeId}', role '${ref.roleId}', ROI '${ref.roiId}' first`,
    { recipe_id: ref.recipeId, role_id: ref.roleId, roi_id: ref.roiId, ...details },
  );
}

/**
 * Engine failures → the contract. A memory that vanished between the probe and the load is reported like a
 * missing one; a memory or index that exists but cannot be read is 500 corrupt_artifact naming the file (relative
 * to `modelsRoot`), so a damaged models directory is noticed instead of silently re-fitted over. Decode failures
 * keep the original's Spanish message.
 */
export function mapEngineError(error: unknown, route: MemoryRoute, modelsRoot?: string): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as { code?: string; message?: string; details?: Record<string, unknown> | null; name?: string };
  const details = e?.details ?? null;
  switch (e?.code) {
    case 'invalid_image':
      return new ApiError('invalid_image', details?.file ? `No se pudo decodificar la imagen: ${String(details.file)}` : undefined, {
        ...(details ?? {}),
        reason: e.message ?? null,
      });
    case 'image_too_large':
    case 'invalid_shape':
    case 'token_grid_mismatch':
    case 'calibration_failed':
      return new ApiError(e.code, e.message, details);
    case 'artifact_not_found':
      return new ApiError('memory_not_fitted', `Memoria no encontrada. Ejecuta /fit_ok antes de ${route}.`, { reason: e.code, ...(details ?? {}) });
    case 'corrupt_artifact': {
      const absolute = typeof details?.file === 'string' ? details.file : '';
      const file = modelsRoot && absolute && path.isAbsolute(absolute) ? path.relative(modelsRoot, absolute) : path.basename(absolute);
      const reason = (e.message ?? '').replace(absolute, file);
      return new ApiError('corrupt_artifact', `Model artifact ${file} is corrupt or unreadable; re-fit this model to rewrite it`, {
        file,
        reason,
      });
    }
    case 'invalid_argument':
      return new ApiError('bad_request', e.message, details);
    case 'aborted':
      return new ApiError('aborted', e.message, details);
    case 'pool_saturated':
      return new ApiError('overloaded', undefined, details);
    default:
      // The fit's row spill (temp dir) or any engine write on a full disk.
      if (isStorageFull(error)) return insufficientStorage(typeof (e as { path?: unknown }).path === 'string' ? String((e as { path?: unknown }).path) : 'the temporary directory', null);
      if (typeof e?.code === 'string' && e.code === 'backbone_unavailable') return new ApiError('backbone_unavailable', e.message);
      return new ApiError('internal_error', undefined, null);
  }
}

export function itemErrorMessage(error: ApiError, filename: string): string {
  switch (error.code) {
    case 'invalid_mm_per_px':
      return `400: ${error.message}`;
    case 'invalid_image':
      return `No se pudo decodificar la imagen: ${filename}`;
    default:
      return error.message;
  }
}
