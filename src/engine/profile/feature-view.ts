// One view of a crop's raw backbone features: block normalisation (feature-normalisation.ts) then, when the profile
// asks, the position channels. The worker, the fit and the tuner build rows only through this, so a memory and the
// queries searched against it are always the same view.
import type { PatchFeatures } from '../types';
import type { FeatureNormalisation } from './detector-profile';
import { normaliseFeatures } from './feature-normalisation';
import { appendPosition, POSITION_CHANNELS } from './position-features';

/** rows: raw [gridH·gridW, rawDim]; normalised in place unless `copy`. Returns the view's rows and dim. */
export function featureView(
  raw: PatchFeatures,
  blocks: readonly number[],
  normalisation: FeatureNormalisation,
  position: number | undefined,
  copy: boolean,
): PatchFeatures {
  const rows = normaliseFeatures(copy ? raw.features.slice() : raw.features, raw.dim, blocks, normalisation);
  if (!position) return { ...raw, features: rows };
  return { ...raw, features: appendPosition(rows, raw.gridH, raw.gridW, raw.dim, position), dim: raw.dim + POSITION_CHANNELS };
}
