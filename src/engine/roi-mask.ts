// ROI masks in crop pixel coordinates, as the original's roi_mask.build_mask: rect / circle / annulus, anything
// else (or no shape) is the whole crop. 255 = inside.
import { InvalidShapeError } from './engine-error';
import { roundHalfEven } from './letterbox';
import type { RoiShape } from './types';

/**
 * cv2.circle(..., LINE_AA) marks a fringe of partially covered pixels (values 1..254) that the original counts as
 * inside. We draw a hard disc of radius r + AA_FRINGE_PX instead: for r = 24 it marks 1993 pixels vs OpenCV's 1990
 * (the hard disc has 1793). An approximation, not bit-exact at the rim.
 */
export const AA_FRINGE_PX = 1.1;
/** Inner circle of an annulus: only OpenCV's fully covered pixels (255) are removed; approximated as r_inner - 0.5. */
export const AA_INNER_CORE_PX = 0.5;

/** Python int(): truncates numbers, accepts integer strings ("10", " -3 "), rejects "10.5". */
function pyInt(value: unknown, field: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidShapeError(`shape.${field}: cannot convert ${value} to integer`, { field });
    return Math.trunc(value);
  }
  if (typeof value === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return parseInt(value.replace(/_/g, ''), 10);
  throw new InvalidShapeError(`shape.${field}: invalid literal for int(): ${JSON.stringify(value)}`, { field });
}

/** Python float(): numbers and numeric strings. */
function pyFloat(value: unknown, field: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && !Number.isNaN(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value.trim()))) return Number(value.trim());
  throw new InvalidShapeError(`shape.${field}: could not convert ${JSON.stringify(value)} to float`, { field });
}

function field(shape: Record<string, unknown>, key: string): unknown {
  const v = shape[key];
  return v === null ? undefined : v;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function fillDisc(mask: Uint8Array, width: number, height: number, cx: number, cy: number, radius: number, value: number): void {
  if (radius < 0) return;
  const r2 = radius * radius;
  const y0 = Math.max(0, Math.floor(cy - radius));
  const y1 = Math.min(height - 1, Math.ceil(cy + radius));
  for (let y = y0; y <= y1; y++) {
    const dy = y - cy;
    for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(width - 1, Math.ceil(cx + radius)); x++) {
      const dx = x - cx;
      if (dx * dx + dy * dy <= r2) mask[y * width + x] = value;
    }
  }
}

export function buildRoiMask(height: number, width: number, shape: RoiShape | Record<string, unknown> | null | undefined): Uint8Array {
  const mask = new Uint8Array(width * height);
  const s = shape as Record<string, unknown> | null | undefined;
  if (!s || typeof s !== 'object' || Object.keys(s).length === 0) return mask.fill(255);
  const rawKind = s.kind ?? 'rect';
  if (typeof rawKind !== 'string') throw new InvalidShapeError('shape.kind must be a string', { field: 'kind' });
  const kind = rawKind.toLowerCase();
  if (kind === 'rect') {
    const x = pyInt(field(s, 'x') ?? 0, 'x');
    const y = pyInt(field(s, 'y') ?? 0, 'y');
    const w = pyInt(field(s, 'w') ?? width, 'w');
    const h = pyInt(field(s, 'h') ?? height, 'h');
    const x0 = clamp(x, 0, width);
    const x1 = clamp(x + w, 0, width);
    const y0 = clamp(y, 0, height);
    const y1 = clamp(y + h, 0, height);
    for (let yy = y0; yy < y1; yy++) mask.fill(255, yy * width + x0, yy * width + Math.max(x0, x1));
    return mask;
  }
  if (kind === 'circle' || kind === 'annulus') {
    const cx = roundHalfEven(pyFloat(field(s, 'cx') ?? width / 2, 'cx'));
    const cy = roundHalfEven(pyFloat(field(s, 'cy') ?? height / 2, 'cy'));
    const r = roundHalfEven(pyFloat(field(s, 'r') ?? Math.min(height, width) / 2, 'r'));
    fillDisc(mask, width, height, cx, cy, r + AA_FRINGE_PX, 255);
    if (kind === 'annulus') {
      const inner = roundHalfEven(Math.max(0, pyFloat(field(s, 'r_inner') ?? 0, 'r_inner')));
      if (inner - AA_INNER_CORE_PX >= 0) fillDisc(mask, width, height, cx, cy, inner - AA_INNER_CORE_PX, 0);
    }
    return mask;
  }
  return mask.fill(255);
}

/** Masks of the same few crop sizes and ROI shapes recur on every request: memoised (read-only results). */
const MEMO_MAX = 16;
const memo = new Map<string, { mask: Uint8Array; inside: number }>();

function memoised(height: number, width: number, shape: RoiShape | Record<string, unknown> | null | undefined): { mask: Uint8Array; inside: number } {
  const key = JSON.stringify([height, width, shape ?? null]);
  let entry = memo.get(key);
  if (entry === undefined) {
    const mask = buildRoiMask(height, width, shape); // an invalid shape throws and is not memoised
    let inside = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) inside++;
    entry = { mask, inside };
    if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value as string);
    memo.set(key, entry);
  }
  return entry;
}

/** buildRoiMask, memoised: the returned mask is shared and must not be modified. */
export function sharedRoiMask(height: number, width: number, shape: RoiShape | Record<string, unknown> | null | undefined): Uint8Array {
  return memoised(height, width, shape).mask;
}

/** Pixels inside the mask buildRoiMask would draw (memoised). */
export function roiMaskPixels(height: number, width: number, shape: RoiShape | Record<string, unknown> | null | undefined): number {
  return memoised(height, width, shape).inside;
}
