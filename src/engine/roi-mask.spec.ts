import { InvalidShapeError } from './engine-error';
import { buildRoiMask } from './roi-mask';

const count = (m: Uint8Array): number => m.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);

describe('buildRoiMask', () => {
  it('covers the whole crop without a shape, with {} and with an unknown kind', () => {
    expect(count(buildRoiMask(4, 5, null))).toBe(20);
    expect(count(buildRoiMask(4, 5, {}))).toBe(20);
    expect(count(buildRoiMask(4, 5, { kind: 'polygon' }))).toBe(20);
  });

  it('fills a rect with int() truncation and clamping', () => {
    const m = buildRoiMask(10, 10, { kind: 'RECT', x: 1.9, y: '2', w: 3.7, h: 20 });
    expect(count(m)).toBe(3 * 8); // cols 1..3, rows 2..9
    expect(m[2 * 10 + 1]).toBe(255);
    expect(m[2 * 10 + 4]).toBe(0);
    expect(m[1 * 10 + 1]).toBe(0);
  });

  it('defaults a rect without kind to the whole crop', () => {
    expect(count(buildRoiMask(3, 3, { x: 0 }))).toBe(9);
  });

  it('rejects non-integer strings like int() does', () => {
    expect(() => buildRoiMask(10, 10, { kind: 'rect', w: '10.5' })).toThrow(InvalidShapeError);
    expect(() => buildRoiMask(10, 10, { kind: 'rect', x: 'abc' })).toThrow('invalid literal for int()');
  });

  it('draws a circle with the anti-aliased fringe counted as inside (r=24 → ~1990 px like cv2 LINE_AA)', () => {
    const m = buildRoiMask(60, 60, { kind: 'circle', cx: 30, cy: 30, r: 24 });
    expect(count(m)).toBe(1993);
  });

  it('uses half-to-even rounding for the centre and radius', () => {
    const a = buildRoiMask(20, 20, { kind: 'circle', cx: 10.5, cy: 10.5, r: 2.5 });
    const b = buildRoiMask(20, 20, { kind: 'circle', cx: 10, cy: 10, r: 2 });
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('removes the inner disc of an annulus', () => {
    const ring = buildRoiMask(60, 60, { kind: 'annulus', cx: 30, cy: 30, r: 24, r_inner: 10 });
    expect(ring[30 * 60 + 30]).toBe(0);
    expect(ring[30 * 60 + 30 + 15]).toBe(255);
    // Outer disc minus the pixels within 9.5 px of the centre (293 lattice points).
    expect(count(ring)).toBe(1993 - 293);
  });
});
