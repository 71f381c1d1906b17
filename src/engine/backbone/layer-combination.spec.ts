import { loadNativeAddon } from '../native-addon';
import { nchwToMap } from './feature-map';
import { combineLayers, concatChannels } from './layer-combination';

describe('model outputs to channels-last rows', () => {
  // [1, 2, 2, 3]: channel 0 = 0..5, channel 1 = 10..15.
  const nchw = Float32Array.from([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);

  it('transposes an NCHW map to one row of channels per cell', () => {
    const map = nchwToMap('out', nchw, [1, 2, 2, 3]);
    expect({ h: map.h, w: map.w, c: map.c }).toEqual({ h: 2, w: 3, c: 2 });
    expect(Array.from(map.data)).toEqual([0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15]);
  });

  it('concatenates the channels of each cell, layer after layer', () => {
    const first = nchwToMap('a', nchw, [1, 2, 2, 3]);
    const second = nchwToMap('b', Float32Array.from([-1, -2, -3, -4, -5, -6]), [1, 1, 2, 3]);
    expect(Array.from(concatChannels([first, second]).data)).toEqual([0, 10, -1, 1, 11, -2, 2, 12, -3, 3, 13, -4, 4, 14, -5, 5, 15, -6]);
    const combined = combineLayers([second, first], { mode: 'concat', grid: 'first', neighbourhoodAverage: 1 });
    expect(Array.from(combined.data.subarray(0, 6))).toEqual([-1, 0, 10, -2, 1, 11]);
  });

  // A JS caller's mistake must be an exception, never a read or write past an array (the addon's RangeError).
  it('refuses, in the addon, sizes or strides that would read or write outside the arrays', () => {
    const addon = loadNativeAddon();
    expect(() => addon.copyColumns(nchw, 6, 2, 1, 6, new Float32Array(11), 2, 0)).toThrow(/^copyColumns: /);
    expect(() => addon.copyColumns(nchw, 6, 3, 1, 6, new Float32Array(18), 3, 0)).toThrow(/^copyColumns: /);
    expect(() => addon.copyColumns(nchw, 6, 2, 1, 6, new Float32Array(12), 2, 1)).toThrow(/^copyColumns: /);
    expect(() => addon.normaliseRows(new Float32Array(6), 3, Int32Array.of(2, 2), Float64Array.of(0, 0), Float64Array.of(1, 1), false)).toThrow(/^normaliseRows: /);
    expect(() => addon.contextMeans(new Float32Array(6), 2, 3, 1, 0, 4, 0, 2, 3, 1)).toThrow(/^contextMeans: /);
    expect(() => addon.appendPosition(new Float32Array(5), 2, 3, 1, 1)).toThrow(/^appendPosition: /);
    expect(() => addon.planarInput(new Uint8Array(6), new Float32Array(768), Int32Array.of(0, 1, 3))).toThrow(/^planarInput: /);
  });
});
