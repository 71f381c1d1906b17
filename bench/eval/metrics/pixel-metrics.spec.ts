import { PixelMetricsAccumulator } from './pixel-metrics';

// Two images. A (3×1): scores [0.9, 0.1, 0.3], mask [1, 0, 1] → two one-pixel regions.
// B (2×1): scores [0.2, 0.5], no defect. Good pixels: 0.1, 0.2, 0.5; defect pixels: 0.9, 0.3.
function twoImages(): PixelMetricsAccumulator {
  const acc = new PixelMetricsAccumulator();
  acc.add(Float32Array.from([0.9, 0.1, 0.3]), Uint8Array.from([255, 0, 255]), 3, 1);
  acc.add(Float32Array.from([0.2, 0.5]), Uint8Array.from([0, 0]), 2, 1);
  return acc;
}

describe('PixelMetricsAccumulator', () => {
  it('computes pixel AUROC over every pixel of every image', () => {
    // 0.9 beats all three good pixels, 0.3 beats two → 5/6
    expect(twoImages().result()?.pixelAuroc).toBeCloseTo(5 / 6, 12);
  });

  it('integrates the per-region overlap up to 30 % FPR, normalised', () => {
    // PRO curve: (0,0) (0,½) (⅓,½) (⅓,1) (⅔,1) (1,1); area on [0, 0.3] = 0.3·½ → / 0.3 = 0.5
    expect(twoImages().result(0.3)?.aupro).toBeCloseTo(0.5, 12);
  });

  it('includes the step of the PRO curve when the limit passes it', () => {
    // area on [0, 0.5] = ⅓·½ + (0.5 − ⅓)·1 = ⅓ → / 0.5
    expect(twoImages().result(0.5)?.aupro).toBeCloseTo(2 / 3, 12);
  });

  it('averages overlap over regions, not pixels', () => {
    // A big region (3 px, all detected at 0.9) and a small one (1 px, at 0.2, below the good pixel 0.5).
    const acc = new PixelMetricsAccumulator();
    acc.add(Float32Array.from([0.9, 0.9, 0.9, 0.5, 0.2]), Uint8Array.from([1, 1, 1, 0, 1]), 5, 1);
    // Before any false positive the PRO is ½ (big region covered, small not), not ¾ by pixels.
    expect(acc.result(0.3)?.aupro).toBeCloseTo(0.5, 12);
    expect(acc.result()?.regions).toBe(2);
  });

  it('counts a tie between a defect and a good pixel as one half', () => {
    const acc = new PixelMetricsAccumulator();
    acc.add(Float32Array.from([0.5, 0.5]), Uint8Array.from([1, 0]), 2, 1);
    expect(acc.result()?.pixelAuroc).toBe(0.5);
  });

  it('scores each group\'s defect pixels against every good pixel of every image', () => {
    const acc = new PixelMetricsAccumulator();
    acc.add(Float32Array.from([0.9, 0.1, 0.3]), Uint8Array.from([255, 0, 255]), 3, 1, 'scratch');
    acc.add(Float32Array.from([0.2, 0.5]), Uint8Array.from([0, 255]), 2, 1, 'dent');
    acc.add(Float32Array.from([0.4]), Uint8Array.from([0]), 1, 1, 'good');
    // Good pixels 0.1, 0.2, 0.4. scratch: 0.9 beats 3, 0.3 beats 2 → 5/6; dent: 0.5 beats 3 → 1.
    const result = acc.result();
    expect(result?.perGroupAuroc).toEqual({ scratch: 5 / 6, dent: 1 });
    expect(result?.perGroupShare).toEqual({ scratch: 2 / 3, dent: 1 / 3 });
  });

  it('is null when no defect pixel was seen', () => {
    const acc = new PixelMetricsAccumulator();
    acc.add(Float32Array.from([0.5, 0.1]), Uint8Array.from([0, 0]), 2, 1);
    expect(acc.result()).toBeNull();
  });
});
