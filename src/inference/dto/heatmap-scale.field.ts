import { ApiPropertyOptional } from '@nestjs/swagger';
import { InvalidField, WireField } from '../../common/wire/form-fields';
import type { HeatmapScaleMode } from '../../engine/heatmap-png';

const HEATMAP_SCALES: readonly HeatmapScaleMode[] = ['image', 'absolute'];
export const HEATMAP_SCALE_MESSAGE = "Input should be 'image' or 'absolute'";

/**
 * `heatmap_scale` (a form field or a JSON value): 'image' or 'absolute', any case; absent or empty means
 * BDI_HEATMAP_SCALE. For a form the last text value counts.
 */
export function HeatmapScaleField(): PropertyDecorator {
  const parse = WireField(false, (raw) => {
    const value = Array.isArray(raw) ? raw.filter((v) => typeof v === 'string').pop() : raw;
    if (value === undefined || value === null || value === '') return undefined;
    const mode = typeof value === 'string' ? value.trim().toLowerCase() : null;
    return mode !== null && (HEATMAP_SCALES as readonly string[]).includes(mode) ? mode : new InvalidField(HEATMAP_SCALE_MESSAGE);
  });
  const doc = ApiPropertyOptional({
    type: String,
    enum: HEATMAP_SCALES,
    description:
      "Scale of heatmap_png_base64: 'image' stretches each map to its own 1–99 % range (the GUI's); 'absolute' maps " +
      '0 .. 2 × threshold for every image, the threshold at gray 128. Default: BDI_HEATMAP_SCALE (image). ' +
      'The response field heatmap_scale is the legend: {mode, min, max, threshold, threshold_level}',
  });
  return (target, key) => {
    parse(target, key);
    doc(target, key);
  };
}
