// Python's value conversions as the original applied them: float()/pydantic booleans for form text, and the
// ad-hoc `int(x)`, `float(x)`, `bool(x)` of JSON body values (ValueError cases as 400s; the TypeError cases, the
// original's 500s, as 400s too).
import { ApiError } from '../errors/api-error';
import { validationError } from '../validation/validation-error';

const TRUE_WORDS = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'f', 'no', 'n', 'off']);
const PY_FLOAT = /^[+-]?((\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+(_\d+)*)?|inf(inity)?|nan)$/i;

/** Python float(text) (underscores, inf, nan); undefined when Python would raise. */
export function parsePythonFloat(text: string): number | undefined {
  const s = text.trim();
  if (!PY_FLOAT.test(s)) return undefined;
  const lower = s.toLowerCase().replace(/_/g, '');
  if (lower.endsWith('nan')) return NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(lower);
}

/** pydantic's string booleans (case-insensitive); undefined for anything else. */
export function parseBoolWord(text: string): boolean | undefined {
  const s = text.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  return undefined;
}

/** Python int(x): truncates floats, parses integer strings. */
export function pythonInt(value: unknown, field: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return Number(value.trim().replace(/_/g, ''));
  const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  throw new ApiError('bad_request', `${field}: invalid literal for int() with base 10: ${shown}`, { field });
}

/** Python float(x) of a JSON value. */
export function pythonFloat(value: unknown, field: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const parsed = parsePythonFloat(value);
    if (parsed !== undefined) return parsed;
  }
  throw new ApiError('bad_request', `${field}: could not convert to float: ${JSON.stringify(value)}`, { field });
}

/** Python truthiness (note: the string "false" is truthy, as in the original). */
export function pythonTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value as object).length > 0;
  return true;
}

/** np.asarray(x, float).ravel() without NaN/±Inf: numbers, numeric strings and nested arrays. */
export function flattenScores(value: unknown, field: string, max: number): number[] {
  const out: number[] = [];
  // Iterative depth-first walk in order: a body of deeply nested arrays must not overflow the call stack (→ 500).
  const stack: Array<{ items: unknown[]; next: number }> = [{ items: [value], next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.items.length) {
      stack.pop();
      continue;
    }
    const v = top.items[top.next++];
    if (Array.isArray(v)) {
      stack.push({ items: v, next: 0 });
      continue;
    }
    if (v === null || v === undefined) continue; // None → nan → dropped
    const x = pythonFloat(v, field);
    if (Number.isFinite(x)) out.push(x);
    if (out.length > max) throw validationError([{ loc: ['body', field], field, message: `At most ${max} scores` }]);
  }
  return out;
}
