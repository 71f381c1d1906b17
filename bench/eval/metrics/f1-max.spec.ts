import { f1Max } from './f1-max';

describe('f1Max', () => {
  it('picks the threshold with the best F1', () => {
    // t=3: TP1 FP0 FN1 → 2/3; t=2: TP2 FP1 → 4/5; t=1: TP2 FP2 → 2/3
    expect(f1Max({ scores: [1, 2, 2, 3], labels: [0, 0, 1, 1] })).toEqual({
      f1: 0.8,
      threshold: 2,
      precision: 2 / 3,
      recall: 1,
    });
  });

  it('is 1 for a perfect separation, at the lowest defective score', () => {
    expect(f1Max({ scores: [0.1, 0.2, 0.7, 0.9], labels: [0, 0, 1, 1] })).toEqual({
      f1: 1,
      threshold: 0.7,
      precision: 1,
      recall: 1,
    });
  });
});
