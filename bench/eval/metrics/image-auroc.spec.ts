import { imageAuroc, rocCurve } from './image-auroc';

describe('imageAuroc', () => {
  it('counts the fraction of defective–good pairs ranked correctly', () => {
    // pairs (pos, neg): 0.35>0.1 yes, 0.35>0.4 no, 0.8 beats both → 3/4
    expect(imageAuroc({ scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1] })).toBe(0.75);
  });

  it('counts a tied pair as one half', () => {
    // 2>1, 2=2 (½), 3>1, 3>2 → 3.5 / 4
    expect(imageAuroc({ scores: [1, 2, 2, 3], labels: [0, 0, 1, 1] })).toBe(0.875);
  });

  it('is 0.5 when every score is equal', () => {
    expect(imageAuroc({ scores: [7, 7, 7, 7, 7], labels: [0, 1, 0, 1, 1] })).toBe(0.5);
  });

  it('is 0 when every good image outscores every defective one', () => {
    expect(imageAuroc({ scores: [5, 6, 1, 2], labels: [0, 0, 1, 1] })).toBe(0);
  });

  it('is NaN without both classes', () => {
    expect(imageAuroc({ scores: [1, 2], labels: [1, 1] })).toBeNaN();
  });
});

describe('rocCurve', () => {
  it('has one point per unique threshold, tied scores moving diagonally', () => {
    const roc = rocCurve({ scores: [1, 2, 2, 3], labels: [0, 0, 1, 1] });
    expect(roc.fpr).toEqual([0, 0, 0.5, 1]);
    expect(roc.tpr).toEqual([0, 0.5, 1, 1]);
    expect(roc.thresholds).toEqual([Infinity, 3, 2, 1]);
  });
});
