import { percentile, percentileOfSorted, PercentileSelector } from './percentile';

describe('percentile (numpy linear)', () => {
  it('interpolates between order statistics', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 1)).toBeCloseTo(1.09, 12);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBeCloseTo(9.91, 12);
    expect(percentile([0.1, 0.2], 99)).toBeCloseTo(0.199, 12);
  });

  it('is exact at the ends and for one value', () => {
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([3, 1, 2], 100)).toBe(3);
    expect(percentile([7], 42)).toBe(7);
  });
});

describe('PercentileSelector', () => {
  it('gives exactly what percentileOfSorted gives on the sorted values, for any query order', () => {
    let seed = 7;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    // 5000 and up: also the sampled narrowing near the ends (native selectKth, from 8192 values); sorted and
    // constant inputs are the strided sample's worst cases.
    const inputs = [1, 2, 3, 10, 101, 5000, 8192, 40_000].map((n) => Float32Array.from({ length: n }, () => Math.round(next() * 50) / 7));
    inputs.push(Float32Array.from({ length: 20_000 }, (_, i) => i / 3), new Float32Array(9000).fill(2), Float32Array.from({ length: 30_000 }, () => next() ** 8));
    for (const values of inputs) {
      const sorted = values.slice().sort();
      const selector = new PercentileSelector(values);
      for (const p of [99, 1, 50, 0, 100, 99.9, 12.5, 37, 0.5, 95]) expect(selector.at(p)).toBe(percentileOfSorted(sorted, p));
    }
  });

  it('does not reorder the caller\'s array', () => {
    const values = Float32Array.from([3, 1, 2]);
    new PercentileSelector(values).at(50);
    expect(Array.from(values)).toEqual([3, 1, 2]);
  });
});

describe('PercentileSelector.topMean', () => {
  it('averages the largest ceil(fraction·n) values, whatever the order', () => {
    const values = Float32Array.from({ length: 200 }, (_, i) => (i * 37) % 200);
    const selector = new PercentileSelector(values);
    expect(selector.topMean(0.01)).toBe((199 + 198) / 2);
    const many = Float32Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 50_000);
    expect(new PercentileSelector(many).topMean(0.01)).toBe(49_750 - 0.5);
    expect(selector.topMean(0.001)).toBe(199);
    expect(selector.topMean(1)).toBe(99.5);
    expect(() => selector.topMean(0)).toThrow(/\(0, 1\]/);
  });
});
