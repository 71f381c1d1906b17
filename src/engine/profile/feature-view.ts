// One view of a crop's raw backbone features: block normalisation (feature-normalisation.ts) then, when the profile
// asks, the position channels; and the context view's wide-window rows from the score view's normalised ones. The
// worker, the fit and the tuner build rows only through this, so a memory and the queries searched against it are
// always the same view.
import type { Letterbox, PatchFeatures } from '../types';
import { contextRows } from './context-view';
import type { DetectorProfile, FeatureNormalisation } from './detector-profile';
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
  return withPosition({ ...raw, features: rows }, position);
}

function withPosition(rows: PatchFeatures, position: number | undefined): PatchFeatures {
  if (!position) return rows;
  return { ...rows, features: appendPosition(rows.features, rows.gridH, rows.gridW, rows.dim, position), dim: rows.dim + POSITION_CHANNELS };
}

/** The score view, and the context view (context-view.ts) from the same normalised rows when the profile has one.
 *  Normalises `raw` in place. */
export function scoreViews(
  raw: PatchFeatures,
  blocks: readonly number[],
  profile: Pick<DetectorProfile, 'features' | 'position' | 'contextView'>,
  letterbox: Letterbox,
): { features: PatchFeatures; context?: PatchFeatures } {
  const normalised = featureView(raw, blocks, profile.features, undefined, false);
  const context = profile.contextView ? contextRows(normalised, letterbox, profile.contextView, profile.position) : undefined;
  return { features: withPosition(normalised, profile.position), ...(context ? { context } : {}) };
}
