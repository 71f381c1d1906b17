import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactNotFoundError, CorruptArtifactError } from './engine-error';
import { buildFlatIndex, writeIndexFile } from './faiss-index';
import { indexHoldsRows, MemoryCache } from './memory-cache';
import { modelVersionOf, modelVersionPath } from './model-version';
import { encodeMemoryNpz } from './npz';

describe('MemoryCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memcache-'));
  const emb = Float32Array.from([1, 0, 0, 1, 0.6, 0.8]);
  const write = (name: string, rows = emb): string => {
    const path = join(dir, name);
    writeFileSync(path, encodeMemoryNpz({ emb: rows, dim: 2, tokenH: 1, tokenW: 3, metadata: {} }));
    return path;
  };

  it('loads once per path and mtime, reloads when the mtime changes', () => {
    const cache = new MemoryCache(4);
    const ref = { npzPath: write('a.npz'), npzMtimeMs: 1, indexPath: null, indexMtimeMs: null };
    const first = cache.get(ref);
    expect([first.m, first.dim, first.tokenH, first.tokenW, first.index.ntotal()]).toEqual([3, 2, 1, 3, 3]);
    expect(cache.get(ref)).toBe(first);
    expect(cache.get({ ...ref, npzMtimeMs: 2 })).not.toBe(first);
    expect([cache.loads, cache.size]).toEqual([2, 1]);
  });

  it('evicts the least recently used entry', () => {
    const cache = new MemoryCache(2);
    const ref = (name: string) => ({ npzPath: write(name), npzMtimeMs: 1, indexPath: null, indexMtimeMs: null });
    const [a, b, c] = [ref('x.npz'), ref('y.npz'), ref('z.npz')];
    cache.get(a);
    cache.get(b);
    cache.get(a); // a is now the most recent
    cache.get(c); // evicts b
    cache.get(a);
    expect(cache.loads).toBe(3);
    cache.get(b);
    expect(cache.loads).toBe(4);
  });

  it('uses the index file when given and checks it against the npz', () => {
    const npzPath = write('i.npz');
    const indexPath = join(dir, 'i_index.faiss');
    writeIndexFile(buildFlatIndex(emb, 2), indexPath);
    const cache = new MemoryCache(2);
    expect(cache.get({ npzPath, npzMtimeMs: 1, indexPath, indexMtimeMs: 1 }).index.ntotal()).toBe(3);
    const garbage = join(dir, 'garbage_index.faiss');
    writeFileSync(garbage, Buffer.alloc(64, 0x5a));
    expect(() => cache.get({ npzPath, npzMtimeMs: 1, indexPath: garbage, indexMtimeMs: 1 })).toThrow(CorruptArtifactError);
  });

  it('rebuilds a stale index (other rows than the npz: a crash between the two renames of a fit) from the npz', () => {
    const npzPath = write('s.npz');
    const cache = new MemoryCache(4);
    const fewer = join(dir, 'fewer_index.faiss');
    writeIndexFile(buildFlatIndex(emb.subarray(0, 4), 2), fewer);
    const sameShape = join(dir, 'same_shape_index.faiss');
    writeIndexFile(buildFlatIndex(Float32Array.from([0, 1, 1, 0, 0.8, 0.6]), 2), sameShape);
    for (const indexPath of [fewer, sameShape]) {
      const loaded = cache.get({ npzPath, npzMtimeMs: 1, indexPath, indexMtimeMs: 1 });
      expect(loaded.index.ntotal()).toBe(3);
      // Row 0 of the npz is (1, 0): its nearest stored vector is itself, at distance 0.
      expect(loaded.index.search([1, 0], 1)).toEqual({ distances: [0], labels: [0] });
    }
  });

  it('recognises the rows of a flat index in its serialised bytes', () => {
    const index = buildFlatIndex(emb, 2);
    const bytes = new Uint8Array(index.toBuffer());
    expect(indexHoldsRows(index, bytes, emb, 3, 2)).toBe(true);
    expect(indexHoldsRows(index, bytes, Float32Array.from([1, 0, 0, 1, 0.6, 0.7]), 3, 2)).toBe(false);
    expect(indexHoldsRows(index, bytes, emb.subarray(0, 4), 2, 2)).toBe(false);
  });

  it('raises ArtifactNotFoundError for a vanished file', () => {
    const cache = new MemoryCache(2);
    expect(() => cache.get({ npzPath: join(dir, 'gone.npz'), npzMtimeMs: 1, indexPath: null, indexMtimeMs: null })).toThrow(ArtifactNotFoundError);
  });
});

describe('MemoryCache content versions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memcache-version-'));
  const npz = (rows: number[]) => encodeMemoryNpz({ emb: Float32Array.from(rows), dim: 2, tokenH: 1, tokenW: 2, metadata: {} });

  it('reloads a model rewritten with the same size and mtime once its version sidecar changes', () => {
    const npzPath = join(dir, 'm.npz');
    const versionPath = modelVersionPath(npzPath);
    const first = npz([1, 0, 0, 1]);
    const second = npz([0, 1, 1, 0]);
    const write = (bytes: Uint8Array): void => {
      writeFileSync(npzPath, bytes);
      utimesSync(npzPath, 1000, 1000); // the same mtime each time: a coarse or cached mtime cannot tell them apart
      writeFileSync(versionPath, JSON.stringify({ version: modelVersionOf(bytes) }));
    };
    const cache = new MemoryCache(4);
    const ref = { npzPath, npzMtimeMs: 1_000_000, indexPath: null, indexMtimeMs: null, versionPath };
    write(first);
    const a = cache.get(ref);
    expect(a.version).toBe(modelVersionOf(first));
    expect(cache.get(ref)).toBe(a);
    write(second);
    const b = cache.get(ref);
    expect(b).not.toBe(a);
    expect(b.version).toBe(modelVersionOf(second));
    expect(cache.get(ref)).toBe(b);
    expect(cache.loads).toBe(2);
  });

  it('keeps what it loaded while the sidecar still names the previous version (between the two renames)', () => {
    const npzPath = join(dir, 'n.npz');
    const versionPath = modelVersionPath(npzPath);
    const old = npz([1, 0, 0, 1]);
    const next = npz([0, 1, 1, 0]);
    writeFileSync(npzPath, next); // the new npz is in place, its sidecar not yet
    writeFileSync(versionPath, JSON.stringify({ version: modelVersionOf(old) }));
    const cache = new MemoryCache(4);
    const ref = { npzPath, npzMtimeMs: 5, indexPath: null, indexMtimeMs: null, versionPath };
    const loaded = cache.get(ref);
    expect(loaded.version).toBe(modelVersionOf(next));
    expect(cache.get(ref)).toBe(loaded); // no reload per request in that window
    writeFileSync(versionPath, JSON.stringify({ version: modelVersionOf(next) }));
    expect(cache.get(ref)).toBe(loaded);
    expect(cache.loads).toBe(1);
  });

  it('falls back to mtimes for a model without a sidecar', () => {
    const npzPath = join(dir, 'legacy.npz');
    writeFileSync(npzPath, npz([1, 0, 0, 1]));
    const cache = new MemoryCache(4);
    const ref = { npzPath, npzMtimeMs: 1, indexPath: null, indexMtimeMs: null, versionPath: modelVersionPath(npzPath) };
    const a = cache.get(ref);
    expect(cache.get(ref)).toBe(a);
    expect(cache.get({ ...ref, npzMtimeMs: 2 })).not.toBe(a);
  });
});
