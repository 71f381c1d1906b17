// The map's patch distances: the score view's, blended with the map view's, then the context view's added, where
// the model has them (DetectorProfile.mapView, .contextView). One implementation for inference and the warm-up.
import { addContextDistances, blendMapDistances } from './anomaly-map';
import type { FlatIndex } from './faiss-index';
import { nearestDistances } from './knn';
import type { DetectorProfile } from './profile/detector-profile';
import { upsampleContext } from './profile/context-view';
import type { PatchFeatures } from './types';

export interface MapViewsInput {
  /** The score view's distances on the patch grid; never written. */
  distances: Float32Array;
  features: PatchFeatures;
  mapFeatures?: PatchFeatures;
  contextFeatures?: PatchFeatures;
}

export function mapDistances(
  input: MapViewsInput,
  profile: DetectorProfile | null | undefined,
  indexes: { mapIndex?: FlatIndex; contextIndex?: FlatIndex },
): Float32Array {
  let map = input.distances;
  const { mapFeatures, contextFeatures } = input;
  if (indexes.mapIndex && mapFeatures && profile?.mapView) {
    map = blendMapDistances(map, nearestDistances(indexes.mapIndex, mapFeatures.features, mapFeatures.dim), profile.mapView);
  }
  const context = profile?.contextView;
  if (indexes.contextIndex && contextFeatures && context) {
    const coarse = nearestDistances(indexes.contextIndex, contextFeatures.features, contextFeatures.dim);
    map = addContextDistances(map, upsampleContext(coarse, input.features.gridH, input.features.gridW, context.stride), context);
  }
  return map;
}
