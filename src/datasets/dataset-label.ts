import { ApiError } from '../common/errors/api-error';
import { DatasetLabel } from '../recipes/model-store';

/** The original's label sanitiser (`strip().lower()` ∈ {ok, ng}); anything else is a 400 (it was a raw 500). */
export function parseLabel(raw: string): DatasetLabel {
  const label = raw.trim().toLowerCase();
  if (label !== 'ok' && label !== 'ng') throw new ApiError('invalid_label', undefined, { label: raw });
  return label;
}
