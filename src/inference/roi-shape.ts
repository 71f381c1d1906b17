// The ROI shape checked against the crop before scoring: a known kind, finite numbers, and a mask that keeps at
// least BDI_MIN_MASK_PIXELS pixels. The original ignored unknown kinds (whole crop) and scored empty masks as 0.
import { ApiError } from '../common/errors/api-error';
import { roundHalfEven } from '../engine/letterbox';
import { AA_FRINGE_PX, roiMaskPixels } from '../engine/roi-mask';
import type { ParsedShape } from './inference.types';

const NUMERIC_FIELDS: Record<string, readonly string[]> = {
  rect: ['x', 'y', 'w', 'h'],
  circle: ['cx', 'cy', 'r'],
  annulus: ['cx', 'cy', 'r', 'r_inner'],
};

function invalid(message: string, details: Record<string, unknown>): ApiError {
  return new ApiError('invalid_shape', message, { field: 'shape', ...details });
}

/** Returns the shape when it can be scored on a `crop`-sized image; otherwise 400 invalid_shape saying why. */
export function checkShape(shape: ParsedShape, crop: { width: number; height: number }, minPixels: number): ParsedShape {
  if (!shape || Object.keys(shape).length === 0) return shape;
  const rawKind = shape.kind ?? 'rect';
  if (typeof rawKind !== 'string' || !(rawKind.toLowerCase() in NUMERIC_FIELDS)) {
    throw invalid(`shape.kind ${JSON.stringify(rawKind)} is not one of rect, circle, annulus`, { kind: rawKind });
  }
  const kind = rawKind.toLowerCase();
  const fields = shape as Record<string, unknown>;
  for (const key of NUMERIC_FIELDS[kind]) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(number)) throw invalid(`shape.${key} must be a finite number, got ${JSON.stringify(value) ?? String(value)}`, { key });
  }
  // The common case (a disc or rectangle well inside the crop) is settled without drawing the mask on the main thread;
  // otherwise the count is memoised per crop size and shape.
  if (surelyKeeps(kind, fields, crop) >= minPixels) return shape;
  const inside = roiMaskPixels(crop.height, crop.width, shape);
  if (inside === 0) {
    throw invalid(`The ${kind} does not overlap the ${crop.width}x${crop.height} crop: no pixel would be inspected`, { mask_pixels: 0, crop: [crop.width, crop.height] });
  }
  if (inside < minPixels) {
    throw invalid(`The ${kind} keeps ${inside} pixel(s) of the ${crop.width}x${crop.height} crop, fewer than the ${minPixels} needed (BDI_MIN_MASK_PIXELS)`, {
      mask_pixels: inside,
      min_mask_pixels: minPixels,
      crop: [crop.width, crop.height],
    });
  }
  return shape;
}

/** Integers in [lo, hi] inside [0, size). */
function span(lo: number, hi: number, size: number): number {
  return Math.max(0, Math.min(size - 1, Math.floor(hi)) - Math.max(0, Math.ceil(lo)) + 1);
}

/**
 * A lower bound of the pixels the mask keeps, for plain numeric circles and rects (0 when unsure): a rect's clipped
 * area as buildRoiMask computes it, or the square inscribed in a circle's disc clipped to the crop.
 */
function surelyKeeps(kind: string, s: Record<string, unknown>, crop: { width: number; height: number }): number {
  const num = (key: string, fallback: number): number | null => {
    const v = s[key];
    if (v === undefined || v === null) return fallback;
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  if (kind === 'rect') {
    const [x, y, w, h] = [num('x', 0), num('y', 0), num('w', crop.width), num('h', crop.height)];
    if (x === null || y === null || w === null || h === null) return 0;
    const clamp = (v: number, size: number) => Math.min(size, Math.max(0, v));
    const cols = clamp(Math.trunc(x) + Math.trunc(w), crop.width) - clamp(Math.trunc(x), crop.width);
    const rows = clamp(Math.trunc(y) + Math.trunc(h), crop.height) - clamp(Math.trunc(y), crop.height);
    return Math.max(0, cols) * Math.max(0, rows);
  }
  if (kind === 'circle') {
    const [cx, cy, r] = [num('cx', crop.width / 2), num('cy', crop.height / 2), num('r', Math.min(crop.width, crop.height) / 2)];
    if (cx === null || cy === null || r === null) return 0;
    const half = (roundHalfEven(r) + AA_FRINGE_PX) / Math.SQRT2 - 1;
    if (half < 0) return 0;
    const x = roundHalfEven(cx);
    const y = roundHalfEven(cy);
    return span(x - half, x + half, crop.width) * span(y - half, y + half, crop.height);
  }
  return 0;
}
