import { worstIndices } from './worst-cases';

describe('worstIndices', () => {
  const scores = [0.9, 0.2, 0.5, 0.2, 0.8, 0.1];
  const labels: Array<0 | 1> = [0, 1, 0, 1, 0, 1];

  it('picks the lowest-scored defective images, ties by position', () => {
    expect(worstIndices(scores, labels, 1, 2)).toEqual([5, 1]);
  });

  it('picks the highest-scored good images', () => {
    expect(worstIndices(scores, labels, 0, 2)).toEqual([0, 4]);
  });
});
