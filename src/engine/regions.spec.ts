import { contourArea, findExternalContours, findRegions } from './regions';
import { createPrng } from './seeded-prng';

function binaryFrom(rows: string[]): { data: Uint8Array; width: number; height: number } {
  const height = rows.length;
  const width = rows[0].length;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[y * width + x] = c === '#' ? 255 : 0)));
  return { data, width, height };
}

describe('findExternalContours', () => {
  it('traces a rectangle as OpenCV does: start top-left, down the left side first', () => {
    const b = binaryFrom(['.....', '.###.', '.###.', '.###.', '.....']);
    const [c] = findExternalContours(b.data, b.width, b.height);
    expect(c.points).toEqual([
      [1, 1],
      [1, 3],
      [3, 3],
      [3, 1],
    ]);
    expect(contourArea(c.points)).toBe(4);
  });

  it('gives a single pixel a one-point contour of area 0', () => {
    const b = binaryFrom(['...', '.#.', '...']);
    const contours = findExternalContours(b.data, b.width, b.height);
    expect(contours).toEqual([{ points: [[1, 1]] }]);
    expect(contourArea(contours[0].points)).toBe(0);
  });

  it('joins diagonal neighbours (8-connectivity) and keeps the diagonal vertices', () => {
    const b = binaryFrom(['#..', '.#.', '..#']);
    const contours = findExternalContours(b.data, b.width, b.height);
    expect(contours).toHaveLength(1);
    expect(contours[0].points).toEqual([
      [0, 0],
      [2, 2],
    ]);
  });

  it('skips blobs inside the hole of another blob and lists later blobs first', () => {
    const b = binaryFrom(['#####..', '#...#..', '#.#.#..', '#...#..', '#####..', '.......', '.....##']);
    const contours = findExternalContours(b.data, b.width, b.height);
    expect(contours).toHaveLength(2);
    expect(contours[0].points[0]).toEqual([5, 6]);
    expect(contours[1].points).toEqual([
      [0, 0],
      [0, 4],
      [4, 4],
      [4, 0],
    ]);
    expect(contourArea(contours[1].points)).toBe(16);
  });
});

describe('findRegions', () => {
  const heat = (rows: string[]): { heat: Float32Array; mask: Uint8Array; width: number; height: number } => {
    const b = binaryFrom(rows);
    return { heat: Float32Array.from(b.data, (v) => (v ? 0.9 : 0.1)), mask: new Uint8Array(b.data.length).fill(255), width: b.width, height: b.height };
  };

  it('reports bbox, area in px and mm², contour, largest first', () => {
    const h = heat(['##.....', '##.....', '.......', '...####', '...####', '...####', '.......']);
    const regions = findRegions(h.heat, h.mask, h.width, h.height, { threshold: 0.5, areaMm2Thr: 0, mmPerPx: 0.5 });
    expect(regions.map((r) => [r.bbox, r.area_px, r.area_mm2])).toEqual([
      [[3, 3, 4, 3], 6, 1.5],
      [[0, 0, 2, 2], 1, 0.25],
    ]);
  });

  it('drops regions below area_mm2_thr / mm_per_px²', () => {
    const h = heat(['##.....', '##.....', '.......', '...####', '...####', '...####', '.......']);
    // 1.0 mm² at 0.5 mm/px = 4 px: the 2x2 blob (area 1) goes, the 4x3 blob (area 6) stays.
    const regions = findRegions(h.heat, h.mask, h.width, h.height, { threshold: 0.5, areaMm2Thr: 1, mmPerPx: 0.5 });
    expect(regions.map((r) => r.area_px)).toEqual([6]);
  });

  it('ignores pixels outside the mask', () => {
    const h = heat(['###', '###', '###']);
    h.mask.fill(0);
    expect(findRegions(h.heat, h.mask, 3, 3, { threshold: 0.5, areaMm2Thr: 0, mmPerPx: 1 })).toEqual([]);
  });

  it('gives the contours of the whole thresholded map although it traces only the foreground box', () => {
    for (let seed = 0; seed < 200; seed++) {
      const rng = createPrng(seed);
      const width = 1 + Math.floor(rng.next() * 30);
      const height = 1 + Math.floor(rng.next() * 30);
      const heat = Float32Array.from({ length: width * height }, () => rng.next());
      const mask = Uint8Array.from({ length: width * height }, () => (rng.next() < 0.9 ? 255 : 0));
      const threshold = rng.next();
      const binary = Uint8Array.from(heat, (v, i) => (mask[i] > 0 && v >= threshold ? 255 : 0));
      const whole = findExternalContours(binary, width, height);
      const regions = findRegions(heat, mask, width, height, { threshold, areaMm2Thr: 0, mmPerPx: 1 });
      expect(regions.map((r) => r.contour).sort()).toEqual(whole.map((c) => c.points).sort());
    }
  });
});
