// The addon's PNG decoder (native/src/png-decode.cc) against sharp's: the same pixels for every PNG it takes, and
// null, never a guess, for every PNG it must leave to sharp.
import sharp from 'sharp';
import { crc32, deflateSync } from 'node:zlib';
import { decodeImage } from './image';
import { loadNativeAddon } from './native-addon';
import { createPrng } from './seeded-prng';
import { pngChunk as chunk } from './testing/png-chunk';

const decodePlainPng = (png: Uint8Array) => loadNativeAddon().decodePlainPng(png);

/** PNG filter `type` applied to one row (`prev`: the row above, unfiltered, or null). */
function filterRow(type: number, row: Uint8Array, prev: Uint8Array | null, bpp: number): Uint8Array {
  const out = new Uint8Array(row.length);
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? row[i - bpp] : 0;
    const b = prev ? prev[i] : 0;
    const c = prev && i >= bpp ? prev[i - bpp] : 0;
    const p = a + b - c;
    const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
    const predictor = [0, a, b, (a + b) >> 1, paeth][type];
    out[i] = (row[i] - predictor) & 0xff;
  }
  return out;
}

interface PngSpec {
  width: number;
  height: number;
  colourType: 0 | 2 | 3 | 4 | 6;
  samples: Uint8Array;
  palette?: Uint8Array;
  /** Filter type of row y: filters[y % filters.length]. */
  filters?: number[];
  /** Chunks placed before the image data. */
  extra?: Buffer[];
  /** The zlib stream is split over this many IDAT chunks. */
  idatChunks?: number;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

function writePng(spec: PngSpec): Buffer {
  const bpp = CHANNELS[spec.colourType];
  const stride = spec.width * bpp;
  const filters = spec.filters ?? [0];
  const rows: Buffer[] = [];
  for (let y = 0; y < spec.height; y++) {
    const row = spec.samples.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? spec.samples.subarray((y - 1) * stride, y * stride) : null;
    const type = filters[y % filters.length];
    rows.push(Buffer.from([type]), Buffer.from(filterRow(type, row, prev, bpp)));
  }
  const stream = deflateSync(Buffer.concat(rows));
  const parts = spec.idatChunks ?? 1;
  const size = Math.ceil(stream.length / parts);
  const idat = Array.from({ length: parts }, (_, i) => chunk('IDAT', stream.subarray(i * size, (i + 1) * size)));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr[8] = 8;
  ihdr[9] = spec.colourType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(spec.palette ? [chunk('PLTE', spec.palette)] : []),
    ...(spec.extra ?? []),
    ...idat,
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function noise(length: number, seed: number, below = 256): Uint8Array {
  const prng = createPrng(seed);
  return Uint8Array.from({ length }, () => prng.int(below));
}

/** sharp's decode (decodeImage on the main thread never takes the native path). */
const viaSharp = (png: Uint8Array) => decodeImage(png);

async function expectSameAsSharp(png: Uint8Array): Promise<void> {
  const native = decodePlainPng(png);
  expect(native).not.toBeNull();
  const reference = await viaSharp(png);
  expect({ width: native?.width, height: native?.height }).toEqual({ width: reference.width, height: reference.height });
  expect(Buffer.from(native?.data ?? []).equals(Buffer.from(reference.data))).toBe(true);
}

describe('decodePlainPng (native)', () => {
  const width = 23;
  const height = 17;

  it.each([
    ['grey', 0],
    ['RGB', 2],
    ['grey + alpha', 4],
    ['RGBA', 6],
  ] as const)('decodes %s with every filter type like sharp', async (_name, colourType) => {
    const samples = noise(width * height * CHANNELS[colourType], colourType + 1);
    await expectSameAsSharp(writePng({ width, height, colourType, samples, filters: [0, 1, 2, 3, 4] }));
    // Paeth and Average on the first row read a zero row above.
    await expectSameAsSharp(writePng({ width, height, colourType, samples, filters: [4, 3] }));
  });

  it('decodes a palette image (with palette transparency) like sharp', async () => {
    const palette = noise(3 * 40, 7);
    const samples = noise(width * height, 8, 40);
    await expectSameAsSharp(writePng({ width, height, colourType: 3, samples, palette, filters: [1, 4] }));
    const tRNS = chunk('tRNS', noise(40, 9));
    await expectSameAsSharp(writePng({ width, height, colourType: 3, samples, palette, extra: [tRNS] }));
  });

  it('decodes grey and RGB with a transparent colour (tRNS) like sharp, and leaves a misplaced tRNS or palette to it', async () => {
    const grey = noise(width * height, 15);
    await expectSameAsSharp(writePng({ width, height, colourType: 0, samples: grey, extra: [chunk('tRNS', Uint8Array.of(0, grey[0]))] }));
    const rgb = noise(width * height * 3, 16);
    await expectSameAsSharp(writePng({ width, height, colourType: 2, samples: rgb, extra: [chunk('tRNS', Uint8Array.of(0, rgb[0], 0, rgb[1], 0, rgb[2]))] }));
    const rgba = noise(width * height * 4, 17);
    expect(decodePlainPng(writePng({ width, height, colourType: 6, samples: rgba, extra: [chunk('tRNS', new Uint8Array(6))] }))).toBeNull();
  });

  it('reads image data split over several IDAT chunks, past text and resolution chunks', async () => {
    const samples = noise(width * height * 3, 10);
    const extra = [chunk('tEXt', Buffer.from('Software\0test', 'latin1')), chunk('pHYs', Buffer.from([0, 0, 11, 19, 0, 0, 11, 19, 1]))];
    await expectSameAsSharp(writePng({ width, height, colourType: 2, samples, extra, idatChunks: 5, filters: [2, 4, 1] }));
  });

  it('decodes what sharp encodes (adaptive filtering, palette, grey, alpha) like sharp', async () => {
    const base = sharp(Buffer.from(noise(64 * 48 * 3, 11)), { raw: { width: 64, height: 48, channels: 3 } }).blur(1.5);
    await expectSameAsSharp(await base.clone().png({ adaptiveFiltering: true }).toBuffer());
    await expectSameAsSharp(await base.clone().png({ palette: true }).toBuffer());
    await expectSameAsSharp(await base.clone().greyscale().png().toBuffer());
    await expectSameAsSharp(await base.clone().ensureAlpha(0.5).png().toBuffer());
  });

  it('leaves to sharp what libvips could read differently: 16-bit, low bit depths, interlaced, colour, gamma, orientation', async () => {
    const base = sharp(Buffer.from(noise(16 * 8 * 3, 12)), { raw: { width: 16, height: 8, channels: 3 } });
    expect(decodePlainPng(await base.clone().toColourspace('rgb16').png().toBuffer())).toBeNull();
    expect(decodePlainPng(await base.clone().png({ palette: true, colours: 4 }).toBuffer())).toBeNull();
    expect(decodePlainPng(await base.clone().png({ progressive: true }).toBuffer())).toBeNull();
    expect(decodePlainPng(await base.clone().withMetadata({ orientation: 6 }).png().toBuffer())).toBeNull();
    const samples = noise(width * height * 3, 13);
    for (const type of ['iCCP', 'gAMA', 'cHRM', 'sRGB', 'sBIT', 'eXIf', 'abCd']) {
      expect(decodePlainPng(writePng({ width, height, colourType: 2, samples, extra: [chunk(type, new Uint8Array(4))] }))).toBeNull();
    }
  });

  it('answers null for damaged data, which sharp then judges', async () => {
    const png = writePng({ width, height, colourType: 2, samples: noise(width * height * 3, 14), filters: [1] });
    expect(decodePlainPng(png)).not.toBeNull();
    const badCrc = Buffer.from(png);
    badCrc[png.length - 20] ^= 0xff; // inside the IDAT data
    expect(decodePlainPng(badCrc)).toBeNull();
    expect(decodePlainPng(png.subarray(0, png.length - 1))).toBeNull();
    expect(decodePlainPng(png.subarray(0, 40))).toBeNull();
    expect(decodePlainPng(Buffer.concat([png, Buffer.from([0])]))).toBeNull();
    expect(decodePlainPng(Buffer.from('not a png at all, not even close to one'))).toBeNull();
    // A filter type above 4, an index past the palette, more data than the image holds: checksums intact.
    const rows = (type: number, length: number) => Buffer.concat(Array.from({ length: height }, () => Buffer.concat([Buffer.from([type]), Buffer.alloc(length, 1)])));
    const withStream = (colourType: 2 | 3, stream: Buffer, palette?: Uint8Array) => {
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(width, 0);
      ihdr.writeUInt32BE(height, 4);
      ihdr[8] = 8;
      ihdr[9] = colourType;
      return Buffer.concat([
        png.subarray(0, 8),
        chunk('IHDR', ihdr),
        ...(palette ? [chunk('PLTE', palette)] : []),
        chunk('IDAT', deflateSync(stream)),
        chunk('IEND', new Uint8Array(0)),
      ]);
    };
    expect(decodePlainPng(withStream(2, rows(0, width * 3)))).not.toBeNull();
    expect(decodePlainPng(withStream(2, rows(5, width * 3)))).toBeNull();
    expect(decodePlainPng(withStream(2, Buffer.concat([rows(0, width * 3), Buffer.alloc(1)])))).toBeNull();
    expect(decodePlainPng(withStream(2, rows(0, width * 3).subarray(1)))).toBeNull();
    expect(decodePlainPng(withStream(3, rows(0, width), new Uint8Array(3)))).toBeNull();
    // A header promising 2^24 x 2^24 pixels over a few bytes of data: refused before allocating (without the check,
    // the allocation itself would abort the process).
    const huge = Buffer.from(png);
    huge.writeUInt32BE(2 ** 24, 16);
    huge.writeUInt32BE(2 ** 24, 20);
    huge.writeUInt32BE(crc32(huge.subarray(12, 29)), 29);
    expect(decodePlainPng(huge)).toBeNull();
    expect(decodePlainPng(withStream(3, rows(0, width), new Uint8Array(6)))).not.toBeNull();
  });
});
