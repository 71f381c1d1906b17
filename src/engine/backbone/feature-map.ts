// Model outputs as channels-last grids, the common form in which layers are combined.
import { loadNativeAddon } from '../native-addon';
import { BackboneError } from './backbone-error';

/** A grid of feature vectors: data [h * w, c] row-major, cell index = row * w + col. */
export interface FeatureMap {
  data: Float32Array;
  h: number;
  w: number;
  c: number;
}

/**
 * ViT tokens [1, T, C] → grid. The first `prefixTokens` (CLS, registers) are dropped; the remaining tokens must
 * fill exactly gridH × gridW in row-major order.
 */
export function tokensToMap(
  name: string,
  data: Float32Array,
  dims: readonly number[],
  prefixTokens: number,
  gridH: number,
  gridW: number,
): FeatureMap {
  if (dims.length !== 3 || dims[0] !== 1) {
    throw mismatch(name, `expected tokens [1, T, C], got [${dims.join(', ')}]`);
  }
  const [, tokens, channels] = dims;
  if (tokens - prefixTokens !== gridH * gridW) {
    throw mismatch(
      name,
      `has ${tokens} tokens; with ${prefixTokens} prefix tokens that is ${tokens - prefixTokens} patches, ` +
        `but the input grid is ${gridH}x${gridW} = ${gridH * gridW}`,
    );
  }
  const start = prefixTokens * channels;
  return { data: data.subarray(start, start + gridH * gridW * channels), h: gridH, w: gridW, c: channels };
}

/** CNN map [1, C, h, w] → channels-last grid. */
export function nchwToMap(name: string, data: Float32Array, dims: readonly number[]): FeatureMap {
  if (dims.length !== 4 || dims[0] !== 1) {
    throw mismatch(name, `expected a feature map [1, C, h, w], got [${dims.join(', ')}]`);
  }
  const [, c, h, w] = dims;
  const plane = h * w;
  const out = new Float32Array(plane * c);
  loadNativeAddon().copyColumns(data, plane, c, 1, plane, out, c, 0);
  return { data: out, h, w, c };
}

function mismatch(name: string, problem: string): BackboneError {
  return new BackboneError('backbone_model_mismatch', `Output "${name}" ${problem}`, { output: name });
}
