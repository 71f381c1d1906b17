import { pairedAurocDifferenceSe, rankAuroc } from './separation';

describe('rankAuroc', () => {
  it('is P(positive > negative) with ties counted as one half', () => {
    expect(rankAuroc([3, 2], [1, 2])).toBe(0.875); // 3 beats both, 2 beats 1 and ties 2
    expect(Number.isNaN(rankAuroc([], [1]))).toBe(true);
  });
});

describe('pairedAurocDifferenceSe (DeLong)', () => {
  const a = { positives: [0.9, 0.8, 0.4], negatives: [0.5, 0.1, 0.3] };

  it('is 0 for a candidate compared with itself, and when both separate perfectly', () => {
    expect(pairedAurocDifferenceSe(a, a)).toBe(0);
    const perfect = { positives: [3, 4, 5], negatives: [0, 1, 2] };
    expect(pairedAurocDifferenceSe(perfect, { positives: [13, 14, 15], negatives: [0, 1, 2] })).toBe(0);
  });

  it('matches the placement-value variances computed by hand', () => {
    // b ranks the positive 0.4 above every negative; a only above 0.1 and 0.3.
    const b = { positives: [0.9, 0.8, 0.6], negatives: [0.5, 0.1, 0.3] };
    // ψ differences are non-zero only for (0.4 vs 0.5): a 0, b 1 → −1. Row differences: 0, 0, −1/3; column: −1/3, 0, 0.
    const rowVar = (2 * (1 / 9) ** 2 + (2 / 9) ** 2) / 2; // mean −1/9: deviations 1/9, 1/9, −2/9
    const expected = Math.sqrt(rowVar / 3 + rowVar / 3);
    expect(pairedAurocDifferenceSe(a, b)).toBeCloseTo(expected, 12);
  });

  it('is NaN when the candidates did not score the same images', () => {
    expect(Number.isNaN(pairedAurocDifferenceSe(a, { positives: [1], negatives: [0, 1, 2] }))).toBe(true);
  });
});
