// A full filesystem (ENOSPC, EDQUOT) or a full SQLite database (SQLITE_FULL) is the operator's problem to fix, not a
// bug: every write path answers 507 insufficient_storage naming the directory and, when known, the bytes it needed.
import { ApiError } from './api-error';

const STORAGE_FULL_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

export function isStorageFull(error: unknown): boolean {
  if (error instanceof ApiError) return error.code === 'insufficient_storage';
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && STORAGE_FULL_CODES.has(e.code)) return true;
  // Errors rebuilt after a thread boundary keep only their text.
  return typeof e.message === 'string' && /\b(ENOSPC|EDQUOT|SQLITE_FULL)\b|no space left on device|database or disk is full/i.test(e.message);
}

/** The 507 for a write into `directory` of `bytesNeeded` bytes (null when unknown). */
export function insufficientStorage(directory: string, bytesNeeded: number | null): ApiError {
  const needed = bytesNeeded === null ? '' : ` (${bytesNeeded} bytes needed)`;
  return new ApiError('insufficient_storage', `Not enough free space in ${directory}${needed}; free space on that filesystem and retry`, {
    directory,
    bytes_needed: bytesNeeded,
  });
}

/** Rethrows a storage-full error as the 507 contract error; any other error unchanged. */
export function rethrowIfStorageFull(error: unknown, directory: string, bytesNeeded: number | null): never {
  if (error instanceof ApiError) throw error;
  if (isStorageFull(error)) throw insufficientStorage(directory, bytesNeeded);
  throw error;
}
