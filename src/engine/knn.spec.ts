import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptArtifactError, FaissError } from './engine-error';
import { buildFlatIndex, indexFromBytes, readIndexFile, serializeIndex, writeIndexFile } from './faiss-index';
import { nearestDistances, nearestElsewhere } from './knn';
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

  it("finds each query's nearest bank row from another group, or the k-th distance when all k share its group", () => {
    // 1-d rows: bank 0, 1, 2, 10 in groups 0, 0, 1, 1; queries 0.1 (group 0) and 9 (group 1).
    const index = buildFlatIndex(Float32Array.of(0, 1, 2, 10), 1);
    const bankGroup = Int32Array.of(0, 0, 1, 1);
    const queries = Float32Array.of(0.1, 9);
    const got = nearestElsewhere(index, queries, 1, Int32Array.of(0, 1), bankGroup, 4);
    expect(Array.from(got).map((v) => Number(v.toFixed(5)))).toEqual([1.9, 8]);
    // k = 2: the first query's two nearest (0, 1) are both its own group's: the 2nd distance stands in.
    expect(Number(nearestElsewhere(index, queries, 1, Int32Array.of(0, 1), bankGroup, 2)[0].toFixed(5))).toBe(0.9);
    // Same groups for every row: the plain nearest distance with k = 1.
    expect(Array.from(nearestElsewhere(index, queries, 1, Int32Array.of(5, 5), bankGroup, 1)).map((v) => Number(v.toFixed(5)))).toEqual([0.1, 1]);
  });
});
