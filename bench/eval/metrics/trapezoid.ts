// Area under a piecewise-linear curve, optionally cut at xMax with linear interpolation,
// as MVTec AD's evaluation code integrates the PRO curve.

/** Points must be sorted by x ascending. */
export function trapezoidArea(xs: ArrayLike<number>, ys: ArrayLike<number>, xMax = Infinity): number {
  let area = 0;
  for (let i = 1; i < xs.length; i++) {
    const x0 = xs[i - 1];
    const y0 = ys[i - 1];
    if (x0 >= xMax) break;
    let x1 = xs[i];
    let y1 = ys[i];
    if (x1 > xMax) {
      // Interpolate the segment at the cut so the area stops exactly at xMax.
      y1 = y0 + ((y1 - y0) * (xMax - x0)) / (x1 - x0);
      x1 = xMax;
    }
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area;
}
