// Wire shapes of /infer: the `shape` field and the region boxes the GUI reads.
import { ApiError } from '../common/errors/api-error';
import type { Region } from '../engine/types';
import type { InferRegionResponse } from './dto/inspection-responses.dto';
import type { ParsedShape } from './inference.types';

/** The `shape` field: JSON text (or an object from a job); unparsable → 400 invalid_json_field. */
export function parseShape(shape: string | Record<string, unknown> | null | undefined): ParsedShape {
  if (shape === undefined || shape === null) return null;
  let value: unknown = shape;
  if (typeof shape === 'string') {
    if (shape.trim() === '') return null;
    try {
      value = JSON.parse(shape);
    } catch (error) {
      throw new ApiError('invalid_json_field', `shape is not valid JSON: ${(error as Error).message}`, { field: 'shape' });
    }
  }
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError('invalid_shape', 'shape must be a JSON object like {"kind":"circle","cx":…,"cy":…,"r":…}', { field: 'shape' });
  }
  return value as ParsedShape;
}

/** The GUI reads x, y, w, h (floats) beside the original's bbox. */
export function withBoxFields(region: Region): InferRegionResponse {
  const [x, y, w, h] = region.bbox;
  return { bbox: region.bbox, area_px: region.area_px, area_mm2: region.area_mm2, contour: region.contour, x, y, w, h };
}

