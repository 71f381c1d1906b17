// Where a patch sits in the crop, as two extra feature channels. ROIs of one recipe show the same part in the same
// place, so "normal here" is sharper than "normal anywhere": a band of the right texture at the wrong height, or
// a bright edge where the part is always dark, stands out. On unregistered surfaces (random crops of a texture)
// the tuner leaves it off (weight 0).

export const POSITION_CHANNELS = 2;

/** rows: [gridH·gridW, dim] → [gridH·gridW, dim + 2] with (x, y) in [-weight, weight] of the grid appended. */
export function appendPosition(rows: Float32Array, gridH: number, gridW: number, dim: number, weight: number): Float32Array {
  const out = new Float32Array(gridH * gridW * (dim + POSITION_CHANNELS));
  for (let r = 0; r < gridH; r++) {
    const y = ((2 * (r + 0.5)) / gridH - 1) * weight;
    for (let c = 0; c < gridW; c++) {
      const cell = r * gridW + c;
      const o = cell * (dim + POSITION_CHANNELS);
      out.set(rows.subarray(cell * dim, (cell + 1) * dim), o);
      out[o + dim] = ((2 * (c + 0.5)) / gridW - 1) * weight;
      out[o + dim + 1] = y;
    }
  }
  return out;
}
