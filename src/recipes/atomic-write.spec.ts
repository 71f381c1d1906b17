import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAtomicTempName, sweepStaleTempFiles, writeFileAtomic } from './atomic-write';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-atomic-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates parent folders and replaces the file in one step, leaving no temp file', async () => {
    const target = path.join(dir, 'a', 'b', 'x.json');
    await writeFileAtomic(target, 'one');
    await writeFileAtomic(target, new Uint8Array([116, 119, 111]));
    expect(fs.readFileSync(target, 'utf8')).toBe('two');
    expect(fs.readdirSync(path.dirname(target))).toEqual(['x.json']);
  });

  it('keeps the old content and removes the temp file when the rename fails', async () => {
    const target = path.join(dir, 'occupied');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'keep');
    await expect(writeFileAtomic(target, 'new')).rejects.toThrow();
    expect(fs.readdirSync(dir)).toEqual(['occupied']);
    expect(fs.readFileSync(path.join(target, 'inside'), 'utf8')).toBe('keep');
  });

  it('never exposes a partial file to concurrent readers', async () => {
    const target = path.join(dir, 'big.bin');
    const a = Buffer.alloc(1 << 20, 1);
    const b = Buffer.alloc(1 << 20, 2);
    await writeFileAtomic(target, a);
    const writes = Promise.all([writeFileAtomic(target, b), writeFileAtomic(target, a)]);
    for (let i = 0; i < 20; i++) {
      const seen = fs.readFileSync(target);
      expect(seen.length).toBe(1 << 20);
      expect(seen.every((v) => v === seen[0])).toBe(true);
    }
    await writes;
  });
});

describe('sweepStaleTempFiles', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-sweep-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('removes only old writeFileAtomic temp files, at any depth, without following symlinks', async () => {
    const nested = path.join(dir, 'recipes', 'r', 'm');
    fs.mkdirSync(nested, { recursive: true });
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-sweep-outside-'));
    try {
      const stale = path.join(nested, '.a.npz.123.0123456789ab.tmp');
      const fresh = path.join(nested, '.b.npz.123.0123456789ab.tmp');
      const lookalike = path.join(nested, '.c.npz.tmp');
      const outsideTemp = path.join(outside, '.d.npz.9.0123456789ab.tmp');
      for (const f of [stale, fresh, lookalike, outsideTemp]) fs.writeFileSync(f, 'x');
      fs.symlinkSync(outside, path.join(dir, 'link'));
      const cutoff = Date.now() - 60_000;
      for (const f of [stale, outsideTemp]) fs.utimesSync(f, new Date(cutoff - 1000), new Date(cutoff - 1000));
      expect(isAtomicTempName(path.basename(stale))).toBe(true);
      expect(await sweepStaleTempFiles(dir, cutoff)).toEqual([stale]);
      expect(fs.readdirSync(nested).sort()).toEqual(['.b.npz.123.0123456789ab.tmp', '.c.npz.tmp']);
      expect(fs.existsSync(outsideTemp)).toBe(true);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
