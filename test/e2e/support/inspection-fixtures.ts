// Synthetic brake-disc crops for the inspection suites: a textured disc on a dark background, optionally with a
// bright scratch (the "NG" defect). Deterministic per seed.
import sharp from 'sharp';

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export interface DiscOptions {
  size?: number;
  width?: number;
  height?: number;
  scratch?: boolean;
  seed?: number;
}

/** RGB PNG bytes of a textured disc (fine radial grooves + noise); `scratch` draws a bright diagonal bar. */
export async function discPng(options: DiscOptions = {}): Promise<Buffer> {
  const width = options.width ?? options.size ?? 64;
  const height = options.height ?? options.size ?? 64;
  const rand = prng(options.seed ?? 1);
  const data = Buffer.alloc(width * height * 3);
  const cx = width / 2;
  const cy = height / 2;
  const r = Math.min(width, height) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const d = Math.hypot(dx, dy);
      let v = 20;
      if (d < r) v = 110 + 25 * Math.sin(d * 1.7) + (rand() - 0.5) * 16;
      if (options.scratch) {
        const along = (dx - dy) / Math.SQRT2;
        const across = (dx + dy) / Math.SQRT2;
        if (Math.abs(across) < 2.5 && Math.abs(along) < r * 0.6) v = 250;
      }
      const i = (y * width + x) * 3;
      data[i] = data[i + 1] = data[i + 2] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

export function b64url(value: string): string {
  return value === '' ? 'default' : Buffer.from(value, 'utf8').toString('base64url');
}

export function baseName(role: string, roi: string): string {
  return `${b64url(role)}__${b64url(roi)}`;
}

export function circleShape(size: number): string {
  return JSON.stringify({ kind: 'circle', cx: size / 2, cy: size / 2, r: size / 2 });
}
