// The ROI shape checked against the crop before scoring: a known kind, finite numbers, and a mask that keeps at
// least BDI_MIN_MASK_PIXELS pixels. The original ignored unknown kinds (whole crop) and scored empty masks as 0.
import { ApiError } from '../common/errors/api-error';
import { roiMaskPixels } from '../engine/roi-mask';
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
