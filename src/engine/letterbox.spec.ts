import { letterboxGeometry, letterboxImage, roundHalfEven } from './letterbox';

describe('letterbox', () => {
  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, 0, 2, 3]);
  });

  it('centres the scaled crop: 300x200 into 448x448', () => {
    expect(letterboxGeometry(300, 200, 448, 448)).toEqual({
      inputWidth: 448,
      inputHeight: 448,
      contentWidth: 448,
      contentHeight: 299,
      offsetX: 0,
      offsetY: 74,
      sourceWidth: 300,
      sourceHeight: 200,
    });
  });

  it('uses half-to-even for the content size (10x5 into 5x5 → 5x2)', () => {
    expect(letterboxGeometry(10, 5, 5, 5)).toMatchObject({ contentWidth: 5, contentHeight: 2, offsetY: 1 });
  });

  it('pads with black and keeps a flat colour inside', async () => {
    const src = { data: new Uint8Array(20 * 10 * 3).fill(200), width: 20, height: 10 };
    const { image, letterbox } = await letterboxImage(src, 8, 8);
    expect(letterbox).toMatchObject({ contentWidth: 8, contentHeight: 4, offsetX: 0, offsetY: 2 });
    const at = (x: number, y: number): number[] => Array.from(image.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
    expect(at(0, 0)).toEqual([0, 0, 0]);
    expect(at(3, 1)).toEqual([0, 0, 0]);
    expect(at(3, 2)).toEqual([200, 200, 200]);
    expect(at(7, 5)).toEqual([200, 200, 200]);
    expect(at(7, 6)).toEqual([0, 0, 0]);
  });
});
