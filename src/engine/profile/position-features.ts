// Where a patch sits in the crop, as two extra feature channels. ROIs of one recipe show the same part in the same
// place, so "normal here" is sharper than "normal anywhere": a band of the right texture at the wrong height, or
// a bright edge where the part is always dark, stands out. On unregistered surfaces (random crops of a texture)
// the tuner leaves it off (weight 0).
import { loadNativeAddon } from '../native-addon';

export const POSITION_CHANNELS = 2;

/** rows: [gridH·gridW, dim] → [gridH·gridW, dim + 2] with (x, y) in [-weight, weight] of the grid appended. */
export function appendPosition(rows: Float32Array, gridH: number, gridW: number, dim: number, weight: number): Float32Array {
  return loadNativeAddon().appendPosition(rows, gridH, gridW, dim, weight);
}
