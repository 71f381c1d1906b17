import { gaussianBlur, gaussianKernel, kernelSizeForSigma, reflect101 } from './gaussian-blur';

describe('gaussianBlur (cv2 semantics)', () => {
  it('uses the 7-tap kernel of cv2.getGaussianKernel(7, 1.0)', () => {
    expect(kernelSizeForSigma(1)).toBe(7);
    const expected = [0.00443305, 0.05400558, 0.24203623, 0.39905028, 0.24203623, 0.05400558, 0.00443305];
    Array.from(gaussianKernel(7, 1)).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 7));
  });

  it('reflects borders as BORDER_REFLECT_101', () => {
    expect([-3, -2, -1, 0, 4, 5, 6, 7].map((i) => reflect101(i, 5))).toEqual([3, 2, 1, 0, 4, 3, 2, 1]);
    expect(reflect101(-2, 1)).toBe(0);
  });

  it('spreads an impulse into the separable kernel product', () => {
    const img = new Float32Array(9 * 9);
    img[4 * 9 + 4] = 1;
    const out = gaussianBlur(img, 9, 9, 1);
    const k = gaussianKernel(7, 1);
    expect(out[4 * 9 + 4]).toBeCloseTo(k[3] * k[3], 6);
    expect(out[2 * 9 + 5]).toBeCloseTo(k[1] * k[4], 6);
    expect(out[0]).toBe(0);
  });

  it('mirrors an impulse on the edge without duplicating the edge pixel', () => {
    // Column x=0 impulse in a 1-row image: reflect101 gives out[1] = k[3+1] + k[3-1] contributions of x=1's mirror.
    const img = new Float32Array([1, 0, 0, 0, 0, 0, 0, 0]);
    const out = gaussianBlur(img, 8, 1, 1);
    const k = gaussianKernel(7, 1);
    expect(out[0]).toBeCloseTo(k[3], 6);
    expect(out[1]).toBeCloseTo(k[2], 6);
    // Row direction with height 1 keeps values (every tap reflects onto row 0 and the kernel sums to 1).
    expect(out[3]).toBeCloseTo(k[0], 6);
  });

  it('keeps a constant map constant', () => {
    const out = gaussianBlur(new Float32Array(25).fill(0.5), 5, 5, 1);
    out.forEach((v) => expect(v).toBeCloseTo(0.5, 6));
  });
});
