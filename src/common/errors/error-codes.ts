// Every error code of the API, with its HTTP status and default message. Code never invents a code inline:
// add it here. Messages the WPF GUI matches (reference §7) are kept verbatim.

export interface ErrorCodeSpec {
  status: number;
  message: string;
}

export const ERROR_CODES = {
  // generic HTTP
  validation_error: { status: 422, message: 'Request validation failed' },
  not_found: { status: 404, message: 'Not Found' },
  method_not_allowed: { status: 405, message: 'Method Not Allowed' },
  payload_too_large: { status: 413, message: 'Payload too large' },
  insufficient_storage: { status: 507, message: 'Not enough free space to store the result; free space and retry' },
  unsupported_media_type: { status: 415, message: 'Unsupported media type' },
  unauthorized: { status: 401, message: 'Missing or invalid API key' },
  internal_error: { status: 500, message: 'Internal server error' },
  overloaded: { status: 503, message: 'Server is busy; retry later' },
  not_ready: { status: 503, message: 'Service is not ready' },
  queue_unavailable: { status: 503, message: 'Job queue (Redis) unavailable; retry later' },
  model_lock_unavailable: { status: 503, message: 'Model lock (Redis) unavailable or lost; the model was not written, retry later' },

  // inspection (BrakeDiscInspector-compatible)
  invalid_recipe_id: { status: 400, message: 'Invalid recipe_id' },
  invalid_mm_per_px: { status: 400, message: 'mm_per_px must be > 0 and finite' },
  mm_per_px_mismatch: { status: 409, message: 'mm_per_px mismatch' },
  bad_request: { status: 400, message: 'Bad request' },
  training_dataset_only: {
    status: 400,
    message: 'Training only supported from dataset (use_dataset=true) in this deployment.',
  },
  no_images: { status: 400, message: 'No images provided' },
  no_ok_samples: { status: 400, message: 'No OK dataset samples found' },
  insufficient_ok_samples: { status: 400, message: 'Insufficient OK samples' },
  no_valid_images: { status: 400, message: 'No valid images' },
  memory_not_fitted: { status: 400, message: 'Memoria no encontrada. Ejecuta /fit_ok antes de /infer.' },
  calibration_missing: { status: 400, message: 'calibration_missing' },
  calibration_failed: { status: 400, message: 'Calibration failed' },
  invalid_image: { status: 400, message: 'No se pudo decodificar la imagen' },
  image_too_large: { status: 400, message: 'Image exceeds the decoded pixel limit' },
  invalid_label: { status: 400, message: "label debe ser 'ok' o 'ng'" },
  invalid_json_field: { status: 400, message: 'Field is not valid JSON' },
  invalid_shape: { status: 400, message: 'Invalid ROI shape' },
  invalid_filename: { status: 400, message: 'Invalid file name' },
  file_not_found: { status: 404, message: 'file not found' },
  metas_length_mismatch: { status: 400, message: 'metas length must match images length' },
  no_valid_ok_samples: { status: 400, message: 'No valid OK samples for calibration.' },
  no_ng_samples: { status: 400, message: 'No NG samples available for calibration.' },
  invalid_score_percentile: { status: 400, message: 'Percentiles must be in the range [0, 100]' },
  meta_not_found: { status: 404, message: 'meta not found' },
  token_grid_mismatch: { status: 400, message: 'Token grid mismatch' },
  too_many_files: { status: 413, message: 'Too many files in one upload' },
  name_too_long: { status: 400, message: 'An id or file name is too long to be stored in the models directory' },
  corrupt_artifact: { status: 500, message: 'A stored model artifact is corrupt' },
  unsafe_path: { status: 500, message: 'Refusing to follow a symbolic link in the models directory' },
  backbone_unavailable: { status: 503, message: 'The backbone could not be loaded' },
  invalid_argument: { status: 400, message: 'Invalid argument' },
  artifact_not_found: { status: 404, message: 'Model artifact not found' },
  faiss_error: { status: 500, message: 'FAISS operation failed' },
  native_unavailable: { status: 500, message: 'A native component is not available' },
  worker_crashed: { status: 500, message: 'An inference worker crashed; it has been replaced' },
  aborted: { status: 409, message: 'Operation aborted' },
  model_not_found: { status: 404, message: "No model of this recipe (BDI_STRICT_RECIPES=1 refuses fallbacks)" },

  // jobs (AI-MVP-compatible)
  invalid_image_payload: { status: 400, message: 'invalid image payload' },
  unsupported_task: { status: 400, message: 'unsupported task' },
  invalid_pagination: { status: 400, message: 'limit must be between 1 and 100' },
  invalid_cursor: { status: 400, message: 'cursor must be a non-negative integer' },
  job_not_found: { status: 404, message: 'job not found' },
  job_not_cancelable: { status: 409, message: 'job already completed' },
  job_not_retryable: { status: 409, message: 'job cannot be retried in its current status' },
  job_failed: { status: 409, message: 'job failed' },
  job_timeout: { status: 409, message: 'job exceeded processing timeout' },
  job_canceled: { status: 409, message: 'job canceled by user' },
  job_not_completed: { status: 409, message: 'job not completed' },
  // Stored as a failed job's errorCode when the service restarted while the job was running (never an HTTP answer).
  interrupted: { status: 409, message: 'job interrupted by a service restart' },
  idempotency_key_conflict: { status: 422, message: 'idempotency key already used with a different payload' },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
