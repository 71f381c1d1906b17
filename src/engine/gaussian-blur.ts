// cv2.GaussianBlur for float32 maps: separable kernel from getGaussianKernel, border BORDER_REFLECT_101.

export function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const half = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - half) ** 2) / (2 * sigma * sigma));
    sum += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}

/** cv2's ksize rule for a given sigma on float images: round(3σ)·2+1, at least 3. */
export function kernelSizeForSigma(sigma: number): number {
  return Math.max(3, Math.round(sigma * 3) * 2 + 1);
}

/** gfedcb|abcdefgh|gfedcba */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/**
 * image: [height, width] row-major. Returns a new array. Each output sums its taps in kernel order in float64, as
 * a plain per-pixel loop would (bit-identical), but reads a reflect-padded row (horizontal) and precomputed row
 * offsets (vertical) so the inner loops are branch-free; the 7-tap kernel of σ = 1 (the anomaly map's) is unrolled.
 */
export function gaussianBlur(image: Float32Array, width: number, height: number, sigma = 1, size = kernelSizeForSigma(sigma)): Float32Array {
  const k = gaussianKernel(size, sigma);
  const half = (size - 1) >> 1;
  const tmp = new Float32Array(width * height);
  const padded = new Float64Array(width + 2 * half);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let i = 0; i < padded.length; i++) padded[i] = image[row + reflect101(i - half, width)];
    if (size === 7) {
      const [k0, k1, k2, k3, k4, k5, k6] = k;
      for (let x = 0; x < width; x++) {
        tmp[row + x] =
          k0 * padded[x] + k1 * padded[x + 1] + k2 * padded[x + 2] + k3 * padded[x + 3] + k4 * padded[x + 4] + k5 * padded[x + 5] + k6 * padded[x + 6];
      }
    } else {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let t = 0; t < size; t++) acc += k[t] * padded[x + t];
        tmp[row + x] = acc;
      }
    }
  }
  const out = new Float32Array(width * height);
  const rows = new Int32Array(size);
  for (let y = 0; y < height; y++) {
    for (let t = 0; t < size; t++) rows[t] = reflect101(y + t - half, height) * width;
    const dst = y * width;
    if (size === 7) {
      const [k0, k1, k2, k3, k4, k5, k6] = k;
      const [r0, r1, r2, r3, r4, r5, r6] = rows;
      for (let x = 0; x < width; x++) {
        out[dst + x] =
          k0 * tmp[r0 + x] + k1 * tmp[r1 + x] + k2 * tmp[r2 + x] + k3 * tmp[r3 + x] + k4 * tmp[r4 + x] + k5 * tmp[r5 + x] + k6 * tmp[r6 + x];
      }
    } else {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let t = 0; t < size; t++) acc += k[t] * tmp[rows[t] + x];
        out[dst + x] = acc;
      }
    }
  }
  return out;
}
