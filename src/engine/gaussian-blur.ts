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
 * image: [height, width] row-major. Returns a new array. Each pass sums the taps in kernel order in float64, as a
 * plain per-pixel loop would, but reads a reflect-padded row (horizontal) and whole rows (vertical) so the inner
 * loops are branch-free and contiguous.
 */
export function gaussianBlur(image: Float32Array, width: number, height: number, sigma = 1, size = kernelSizeForSigma(sigma)): Float32Array {
  const k = gaussianKernel(size, sigma);
  const half = (size - 1) >> 1;
  const tmp = new Float32Array(width * height);
  const padded = new Float64Array(width + 2 * half);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let i = 0; i < padded.length; i++) padded[i] = image[row + reflect101(i - half, width)];
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let t = 0; t < size; t++) acc += k[t] * padded[x + t];
      tmp[row + x] = acc;
    }
  }
  const out = new Float32Array(width * height);
  const acc = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let t = 0; t < size; t++) {
      const src = reflect101(y + t - half, height) * width;
      const weight = k[t];
      for (let x = 0; x < width; x++) acc[x] += weight * tmp[src + x];
    }
    out.set(acc, y * width);
  }
  return out;
}
