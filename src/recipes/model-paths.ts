// Identifier → file-name mapping of the original ModelStore (reference §0.7). Pure functions, unit-tested.

/** URL-safe base64 of the UTF-8 bytes without padding; "" → "default". Always a safe single path segment. */
export function encodeId(value: string): string {
  if (value === '') return 'default';
  return Buffer.from(value, 'utf8').toString('base64url');
}

/** `<enc(role)>__<enc(roi)>`: the stem of every artifact and the dataset folder of one (role, ROI). */
export function baseName(roleId: string, roiId: string): string {
  return `${encodeId(roleId)}__${encodeId(roiId)}`;
}

const MODEL_KEY_MAX = 80;

/**
 * Folder name of a model key: `[^A-Za-z0-9._-]` → `_`, trimmed, 80 chars, empty → "default". Keys made only of dots
 * ("." / "..") would name the recipe folder or its parent, so their dots become underscores (the original allowed them).
 */
export function sanitizeModelKey(modelKey: string): string {
  let key = modelKey.replace(/[^A-Za-z0-9._-]/g, '_').trim().slice(0, MODEL_KEY_MAX);
  if (key === '') key = 'default';
  if (/^\.+$/.test(key)) key = key.replace(/\./g, '_');
  return key;
}

/** The original's legacy_sanitize: trimmed, Unicode letters/digits, "-" and "_" kept, anything else "_". */
export function legacySanitize(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') return 'default';
  return Array.from(trimmed, (c) => (/^[\p{L}\p{N}_-]$/u.test(c) ? c : '_')).join('');
}

/** A string usable as one path segment as is (the legacy dataset fallback uses raw ids). */
export function isSafeSegment(value: string): boolean {
  return value !== '' && value !== '.' && value !== '..' && !/[/\\\0]/.test(value) && value.trim() === value;
}

/** A dataset file name from a client: a bare name, no separators, no NUL, not "." or "..". */
export function isSafeFileName(value: string): boolean {
  return isSafeSegment(value) && !/^[A-Za-z]:/.test(value);
}

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.webp']);

/** Python's Path(name).suffix of the base name, lower-cased; "" when none. */
export function pathSuffix(fileName: string): string {
  const name = fileName.split(/[/\\]/).pop() ?? '';
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return '';
  return name.slice(dot).toLowerCase();
}

/** Extension for a stored sample: the client's suffix when it is a plain one, else ".png" (the original's default). */
export function storedExtension(clientFileName: string | undefined): string {
  const suffix = pathSuffix(clientFileName ?? '');
  return /^\.[a-z0-9]{1,10}$/.test(suffix) ? suffix : '.png';
}

/** `YYYYMMDD-HHMMSS-ffffff` in UTC from microseconds since the epoch. */
export function sampleStem(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const micros = (epochMicros % 1_000_000 + 1_000_000) % 1_000_000;
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${p(micros, 6)}`;
}

/** N for `inspection-N`, `inspection_N`, `inspection N` (case-insensitive), as the diagnostics' roi_index_guess. */
export function roiIndexGuess(roiId: string): number | null {
  const m = /^inspection[-_ ](\d+)$/i.exec(roiId.trim());
  return m ? Number(m[1]) : null;
}
