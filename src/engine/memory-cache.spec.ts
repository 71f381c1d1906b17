import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactNotFoundError, CorruptArtifactError } from './engine-error';
import { buildFlatIndex, writeIndexFile } from './faiss-index';
import { MemoryCache } from './memory-cache';
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
    const otherIndex = join(dir, 'other_index.faiss');
    writeIndexFile(buildFlatIndex(emb.subarray(0, 4), 2), otherIndex);
    expect(() => cache.get({ npzPath, npzMtimeMs: 1, indexPath: otherIndex, indexMtimeMs: 1 })).toThrow(CorruptArtifactError);
  });

  it('raises ArtifactNotFoundError for a vanished file', () => {
    const cache = new MemoryCache(2);
    expect(() => cache.get({ npzPath: join(dir, 'gone.npz'), npzMtimeMs: 1, indexPath: null, indexMtimeMs: null })).toThrow(ArtifactNotFoundError);
  });
});
