// 8-bit interleaved RGB → the model's normalised planar float input, per the manifest.
import { loadNativeAddon } from '../native-addon';
import type { RgbImage } from '../types';
import { BackboneError } from './backbone-error';
import type { BackboneInputSpec } from './manifest';

/** Returns [1, 3, height, width] row-major in the model's colour order. */
export function toInputTensor(image: RgbImage, spec: BackboneInputSpec): Float32Array {
  if (!spec.resizable && (image.width !== spec.width || image.height !== spec.height)) {
    throw new BackboneError(
      'backbone_input_mismatch',
      `Backbone input must be ${spec.width}x${spec.height}, got ${image.width}x${image.height}`,
    );
  }
  const plane = image.width * image.height;
  if (image.data.length !== plane * 3) {
    throw new BackboneError('backbone_input_mismatch', `RGB data has ${image.data.length} bytes, expected ${plane * 3}`);
  }
  // Model channel c reads source channel order[c]; a 256-entry table per channel keeps the loop to a lookup.
  const order = spec.colour === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const tables = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) tables[c * 256 + v] = (v * spec.scale - spec.mean[c]) / spec.std[c];
  }
  return loadNativeAddon().planarInput(image.data, tables, Int32Array.from(order));
}
