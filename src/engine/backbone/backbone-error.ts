// Typed failures of loading or running a backbone. The service layer maps `code` to its HTTP contract.

export const BACKBONE_ERRORS = {
  backbone_not_found: 'Backbone not found',
  backbone_invalid_manifest: 'Backbone manifest is invalid',
  backbone_model_mismatch: 'Backbone model does not match its manifest',
  backbone_load_failed: 'Backbone model could not be loaded',
  backbone_input_mismatch: 'Image does not match the backbone input size',
  backbone_released: 'Backbone was released',
  backbone_exists: 'A backbone of that name is already installed',
  backbone_unknown_tensor: 'The network has no usable tensor of that name',
  backbone_invalid_input: 'The network input is not a usable image input',
  cuda_required: 'CUDA is required but not available',
} as const;

export type BackboneErrorCode = keyof typeof BACKBONE_ERRORS;

export class BackboneError extends Error {
  override readonly name = 'BackboneError';

  constructor(
    readonly code: BackboneErrorCode,
    message: string = BACKBONE_ERRORS[code],
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
  }
}
