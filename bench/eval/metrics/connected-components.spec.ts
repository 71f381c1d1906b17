import { labelComponents } from './connected-components';

describe('labelComponents', () => {
  it('joins diagonal neighbours (8-connectivity) and separates distant pixels', () => {
    // 4×3:
    // 1 0 0 1
    // 0 1 0 0
    // 0 0 0 1
    const mask = Uint8Array.from([1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
    const { labels, sizes, count } = labelComponents(mask, 4, 3);
    expect(count).toBe(3);
    expect(Array.from(labels)).toEqual([1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 3]);
    expect(sizes).toEqual([0, 2, 1, 1]);
  });

  it('finds no region in an empty mask', () => {
    expect(labelComponents(new Uint8Array(6), 3, 2).count).toBe(0);
  });
});
