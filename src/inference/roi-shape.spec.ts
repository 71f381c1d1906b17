import { buildRoiMask } from '../engine/roi-mask';
import { createPrng } from '../engine/seeded-prng';
import { checkShape } from './roi-shape';

function keeps(shape: Record<string, unknown>, width: number, height: number): number {
  return buildRoiMask(height, width, shape).reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
}

describe('checkShape', () => {
  it('accepts exactly the circles and rects whose drawn mask keeps at least the minimum (fast path agrees with the mask)', () => {
    const prng = createPrng(7);
    const rand = () => prng.next();
    const between = (lo: number, hi: number) => lo + (hi - lo) * rand();
    for (let i = 0; i < 2000; i++) {
      const width = Math.round(between(8, 120));
      const height = Math.round(between(8, 120));
      const shape =
        i % 2 === 0
          ? { kind: 'circle', cx: between(-40, width + 40), cy: between(-40, height + 40), r: between(0, 70) }
          : { kind: 'rect', x: between(-50, width), y: between(-50, height), w: between(-10, 90), h: between(-10, 90) };
      const min = Math.round(between(1, 200));
      let accepted = true;
      try {
        checkShape(shape, { width, height }, min);
      } catch {
        accepted = false;
      }
      expect({ shape, width, height, min, accepted }).toEqual({ shape, width, height, min, accepted: keeps(shape, width, height) >= min });
    }
  });
});
