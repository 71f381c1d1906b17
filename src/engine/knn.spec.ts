import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptArtifactError, FaissError } from './engine-error';
import { buildFlatIndex, indexFromBytes, readIndexFile, serializeIndex, writeIndexFile } from './faiss-index';
import { nearestDistances } from './knn';
import { createPrng } from './seeded-prng';

function randomRows(n: number, d: number, seed: number): Float32Array {
  const rng = createPrng(seed);
  return Float32Array.from({ length: n * d }, () => rng.normal());
}

function bruteForce(bank: Float32Array, queries: Float32Array, d: number): number[] {
  const out: number[] = [];
  for (let q = 0; q < queries.length / d; q++) {
    let best = Infinity;
    for (let b = 0; b < bank.length / d; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (queries[q * d + j] - bank[b * d + j]) ** 2;
      best = Math.min(best, s);
    }
    out.push(Math.sqrt(best));
  }
  return out;
}

describe('kNN over the memory bank', () => {
  const d = 24;
  const bank = randomRows(300, d, 1);
  const queries = randomRows(64, d, 2);

  it('returns the Euclidean distance to the nearest bank row for a batch of queries', () => {
    const got = nearestDistances(buildFlatIndex(bank, d), queries, d);
    const want = bruteForce(bank, queries, d);
    expect(got.length).toBe(64);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
  });

  it('gives 0 (never NaN) for a query equal to a bank row', () => {
    const got = nearestDistances(buildFlatIndex(bank, d), bank.slice(5 * d, 6 * d), d);
    expect(got[0]).toBeGreaterThanOrEqual(0);
    expect(got[0]).toBeLessThan(1e-3);
  });

  it('serialises to bytes and files and reads back the same index', () => {
    const index = buildFlatIndex(bank, d);
    const bytes = serializeIndex(index);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('IxF2');
    const fromBytes = indexFromBytes(bytes);
    const dir = mkdtempSync(join(tmpdir(), 'knn-'));
    writeIndexFile(index, join(dir, 'a.faiss'));
    const fromFile = readIndexFile(join(dir, 'a.faiss'));
    expect([fromBytes.ntotal(), fromFile.ntotal(), fromFile.getDimension()]).toEqual([300, 300, d]);
    expect(Array.from(nearestDistances(fromFile, queries, d))).toEqual(Array.from(nearestDistances(index, queries, d)));
  });

  it('raises typed errors for corrupt indexes and mismatched dimensions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'knn-'));
    writeFileSync(join(dir, 'bad.faiss'), 'garbage');
    expect(() => readIndexFile(join(dir, 'bad.faiss'))).toThrow(CorruptArtifactError);
    expect(() => indexFromBytes(Buffer.from('nope'), 'x_index.faiss')).toThrow('x_index.faiss');
    expect(() => nearestDistances(buildFlatIndex(bank, d), new Float32Array(10), 10)).toThrow(FaissError);
    expect(() => buildFlatIndex(new Float32Array(5), 2)).toThrow(FaissError);
  });
});
