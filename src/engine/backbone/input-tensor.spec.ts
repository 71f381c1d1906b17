import { toInputTensor } from './input-tensor';
import type { BackboneInputSpec } from './manifest';

describe('toInputTensor', () => {
  // Two pixels, (10, 20, 30) and (40, 50, 60).
  const image = { data: Uint8Array.of(10, 20, 30, 40, 50, 60), width: 2, height: 1 };
  const spec: Omit<BackboneInputSpec, 'colour'> = { name: 'image', width: 2, height: 1, layout: 'NCHW', scale: 0.5, mean: [1, 2, 3], std: [1, 2, 4], resizable: false };

  it('writes planar channels, each (v · scale − mean) / std', () => {
    expect(Array.from(toInputTensor(image, { ...spec, colour: 'RGB' }))).toEqual([4, 19, 4, 11.5, 3, 6.75]);
  });

  it('reads the source channels in the model\'s colour order', () => {
    expect(Array.from(toInputTensor(image, { ...spec, colour: 'BGR' }))).toEqual([14, 29, 4, 11.5, 0.5, 4.25]);
  });

  it('refuses an image of another size than a fixed-size input', () => {
    expect(() => toInputTensor({ ...image, width: 1, data: image.data.subarray(0, 3) }, { ...spec, colour: 'RGB' })).toThrow(/must be 2x1/);
  });
});
