// Field documentation shared by the inspection DTOs (the ids' are in common/wire/model-ref.fields).
export const MODEL_KEY_DOC = { type: String, description: 'Model name (default: roi_id)' } as const;
export const MM_PER_PX_DOC = { type: Number, example: 0.2, description: 'Millimetres per pixel (checked against the recipe lock)' } as const;
