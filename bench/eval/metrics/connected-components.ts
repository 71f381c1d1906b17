// 8-connected labelling of a binary mask: MVTec AD's PRO uses scipy.ndimage.label with a 3×3 structure.

export interface Components {
  /** [height, width] row-major; 0 = background, 1..count = component id. */
  labels: Int32Array;
  /** sizes[id] = pixel count of component id; sizes[0] is unused (0). */
  sizes: number[];
  count: number;
}

/** Pixels with mask value > 0 are foreground. */
export function labelComponents(mask: Uint8Array, width: number, height: number): Components {
  const labels = new Int32Array(width * height);
  const sizes = [0];
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < labels.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    count++;
    let size = 0;
    labels[start] = count;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop() as number;
      size++;
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (mask[q] !== 0 && labels[q] === 0) {
            labels[q] = count;
            stack.push(q);
          }
        }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes, count };
}
