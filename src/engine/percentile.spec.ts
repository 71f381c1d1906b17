import { percentile } from './percentile';

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
