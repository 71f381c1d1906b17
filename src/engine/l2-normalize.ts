// Row-wise x / (‖x‖₂ + 1e-8), in place, as the original (eps on the norm, float32 storage).

/** rows: [n, d] row-major; modified in place and returned. */
export function l2NormalizeRows(rows: Float32Array, d: number): Float32Array {
  const n = rows.length / d;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let sum = 0;
    for (let j = 0; j < d; j++) sum += rows[o + j] * rows[o + j];
    const inv = 1 / (Math.sqrt(sum) + 1e-8);
    for (let j = 0; j < d; j++) rows[o + j] *= inv;
  }
  return rows;
}
