// Multipart request bodies as OpenAPI schemas, so Swagger's "Try it out" sends the fields and file parts the routes
// read (the routes parse multipart themselves, so Nest cannot infer these).
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

const modelFields: Record<string, SchemaObject> = {
  role_id: { type: 'string', example: 'Inspection', description: 'Inspection role' },
  roi_id: { type: 'string', example: 'inspection-1', description: 'ROI within the role' },
  recipe_id: { type: 'string', description: 'Recipe (else the X-Recipe-Id header, else "default")' },
};

export const UPLOAD_BODY: SchemaObject = {
  type: 'object',
  required: ['role_id', 'roi_id', 'images'],
  properties: {
    ...modelFields,
    images: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'One or more image files' },
    metas: {
      type: 'string',
      example: '{"mm_per_px":0.2}',
      description: 'JSON object (applies to every image) or JSON array of objects, one per image; mm_per_px is checked against the recipe lock',
    },
  },
};

export const INFER_BODY: SchemaObject = {
  type: 'object',
  required: ['role_id', 'roi_id', 'mm_per_px', 'image'],
  properties: {
    ...modelFields,
    mm_per_px: { type: 'number', example: 0.2, description: 'Millimetres per pixel of the crop (regions in mm²)' },
    image: { type: 'string', format: 'binary', description: 'The ROI crop (PNG, JPEG, BMP, TIFF, WebP)' },
    shape: { type: 'string', example: '{"kind":"circle","cx":64,"cy":64,"r":60}', description: 'Optional mask JSON: rect, circle or annulus' },
    model_key: { type: 'string', description: 'Model name (default: roi_id)' },
    include_heatmap: { type: 'boolean', description: 'Heatmap even for an OK decision' },
    heatmap_scale: {
      type: 'string',
      enum: ['image', 'absolute'],
      description:
        "Scale of heatmap_png_base64: 'image' stretches each map to its own 1–99 % range (the GUI's); 'absolute' maps " +
        '0 .. 2 × threshold for every image, the threshold at gray 128. Default: BDI_HEATMAP_SCALE (image). ' +
        'The response field heatmap_scale is the legend: {mode, min, max, threshold, threshold_level}',
    },
  },
};
