// End to end through real worker threads: sharp, ONNX Runtime, FAISS and the native coreset inside workers.
import { CONTEXT_CORESET_FACTOR, MAP_CORESET_SHARE, MAX_CONTEXT_SCALE } from './fit-task';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { generateTinyVit } from './backbone/testing/tiny-vit';
import { AbortedError, CorruptArtifactError, ImageDecodeError, TokenGridMismatchError } from './engine-error';
import type { MemoryArtifactRef } from './memory-cache';
import { encodeMemoryNpz } from './npz';
import { InferencePool } from './pool';
import type { FitOutput, InferInput } from './pool-protocol';
import type { TaskProgress } from './task-progress';
import { createPrng } from './seeded-prng';

const SIZE = 160;

/** A brake-disc-like crop: concentric grooves, radial vents and noise; optionally a bright diagonal scratch. */
async function discPng(seed: number, scratch = false): Promise<Uint8Array> {
  const rng = createPrng(seed);
  const phase = rng.next() * Math.PI;
  const data = new Uint8Array(SIZE * SIZE * 3);
  const c = SIZE / 2;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const r = Math.hypot(x - c, y - c);
      const a = Math.atan2(y - c, x - c);
      let v = r < 70 && r > 18 ? 120 + 35 * Math.sin(r * 0.9) + 15 * Math.sin(a * 10 + phase) : 25;
      v += (rng.next() - 0.5) * 12;
      if (scratch) {
        // distance to the segment (50,60)–(115,100)
        const t = Math.max(0, Math.min(1, ((x - 50) * 65 + (y - 60) * 40) / (65 * 65 + 40 * 40)));
        if (Math.hypot(x - (50 + 65 * t), y - (60 + 40 * t)) < 2.5) v = 250;
      }
      data.fill(Math.max(0, Math.min(255, Math.round(v))), (y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3);
    }
  }
  return new Uint8Array(await sharp(data, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer());
}

describe('InferencePool (real workers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pool-spec-'));
  const backbone = generateTinyVit({ dir: mkdtempSync(join(dir, 'bb-')), inputWidth: 224, inputHeight: 224, dim: 32, depth: 2, heads: 2 });
  let pool: InferencePool;
  let fit: FitOutput;
  let memory: MemoryArtifactRef;

  beforeAll(async () => {
    pool = new InferencePool({ manifestPath: backbone.manifestPath, size: 2, intraOpThreads: 1, device: 'cpu', tempDir: dir });
    const files: string[] = [];
    for (let i = 0; i < 8; i++) {
      const path = join(dir, `ok_${i}.png`);
      writeFileSync(path, await discPng(100 + i));
      files.push(path);
    }
    fit = await pool.fit({ images: files.map((path, i) => ({ name: `ok_${i}.png`, path })), coresetRate: 0.25, seed: 0, encodeArtifacts: true });
    const npzPath = join(dir, 'model.npz');
    const indexPath = join(dir, 'model_index.faiss');
    writeFileSync(npzPath, fit.npzBytes as Uint8Array);
    writeFileSync(indexPath, fit.indexBytes as Uint8Array);
    memory = { npzPath, npzMtimeMs: statSync(npzPath).mtimeMs, indexPath, indexMtimeMs: statSync(indexPath).mtimeMs };
  }, 120_000);

  afterAll(async () => {
    await pool?.close();
  });

  const inferInput = (image: Uint8Array, extra: Partial<InferInput> = {}): InferInput => ({
    image,
    memory,
    scorePercentile: 99,
    areaMm2Thr: 0,
    mmPerPx: 1,
    wantHeatmap: false,
    ...extra,
  });

  it('starts the native stack in several workers at once, single-threaded BLAS/OpenMP inside', async () => {
    const infos = await pool.warmUp();
    expect(infos).toHaveLength(2);
    for (const info of infos) {
      expect(info.backbone).toMatchObject({ name: 'tiny-vit', inputWidth: 224, inputHeight: 224, patchStride: 14, dim: 32, device: 'cpu' });
      expect(info.nativeThreads).toEqual({ omp: 1, openblas: 1 });
      expect(info.envThreads).toEqual({ OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' });
      // Each worker ran its dummy inference (warm-up) before answering.
      expect(info.warmUpMs).toBeGreaterThan(0);
    }
    expect(new Set(infos.map((i) => i.threadId)).size).toBe(2);
    expect(pool.stats()).toMatchObject({ workers: 2, queueDepth: 0, saturated: false });
  });

  it('fits from image files in a worker: grid, coreset size, rates and artifacts', () => {
    // 32 ViT channels + 2 position channels (the default fit profile; the tiny ViT has a fixed input: letterbox).
    expect([fit.tokenH, fit.tokenW, fit.dim, fit.nImages, fit.nEmbeddings]).toEqual([16, 16, 34, 8, 8 * 256]);
    const { mapView, contextView, ...scoreView } = fit.profile;
    expect(scoreView).toEqual({ input: { mode: 'letterbox' }, features: { weights: [1], floors: [0], unitNorm: true }, position: 1, smoothing: { map: 1, score: 1 } });
    // The map view: energy-aware, its floor learned from the OK rows, its own coreset at half the rate, and a scale
    // into the score's units (measured: floor 22.6, scale ≈ 3.7 on these discs).
    expect(mapView).toMatchObject({ features: { weights: [1], unitNorm: false }, noiseMultiple: 4 });
    expect(mapView!.features.floors[0]).toBeGreaterThan(1);
    expect(mapView!.scale).toBeGreaterThan(1);
    const mapRows = Math.ceil(8 * 256 * 0.25 * MAP_CORESET_SHARE);
    expect([fit.map?.m, fit.map?.dim, fit.map?.emb.length]).toEqual([mapRows, 34, mapRows * 34]);
    // The context view: 8×8 windows of 15×15 patches per disc, a coreset at twice the rate. These discs' windows
    // are far more alike than their patches (scale measured 24.3), so the fit lowered its gain steeply; an OK
    // window's level, in score units, is below the score view's p99 (the scale matches p99s).
    expect(contextView).toMatchObject({ window: 15, stride: 2 });
    expect(contextView!.scale).toBeGreaterThan(10);
    expect(contextView!.gain).toBeCloseTo(0.8 * (MAX_CONTEXT_SCALE / contextView!.scale!) ** 2, 12);
    expect(contextView!.level).toBeGreaterThan(0);
    expect([fit.context?.m, fit.context?.dim]).toEqual([Math.ceil(8 * 64 * 0.25 * CONTEXT_CORESET_FACTOR), 34]);
    expect(fit.m).toBe(Math.ceil(8 * 256 * 0.25));
    expect(fit.bank.length).toBe(fit.m * 34);
    expect([fit.requestedRate, fit.appliedRate]).toEqual([0.25, fit.m / (8 * 256)]);
    // features are L2-normalised, position channels in [-1, 1] follow
    const row = fit.bank.subarray(0, 34);
    expect(Math.hypot(...row.subarray(0, 32))).toBeCloseTo(1, 5);
    expect(Math.max(...row.subarray(32).map(Math.abs))).toBeLessThan(1);
    expect(fit.errors).toEqual([]);
  });

  it('scores a drawn scratch above clean discs, reading the FAISS index file in several workers', async () => {
    const clean = await Promise.all([200, 201, 202].map(async (s) => (await pool.infer(inferInput(await discPng(s)))).score));
    const scratched = await pool.infer(inferInput(await discPng(203, true), { wantHeatmap: true, threshold: Math.max(...clean) }));
    expect(scratched.tokenShape).toEqual([16, 16]);
    // measured: clean 0.18–0.33, scratched 0.76
    expect(scratched.score).toBeGreaterThan(Math.max(...clean) * 1.5);
    // The map is read from the map view, scaled into the score's units: a clean disc's map p99 is near its score
    // (measured 0.214 vs 0.188; unscaled it was 1.02, scaled from in-sample rows 0.135).
    const cleanMap = await pool.infer(inferInput(await discPng(200), { returnMap: true }));
    const heat = Float32Array.from(cleanMap.map!.heat).sort();
    const ratio = heat[Math.floor(heat.length * 0.99)] / cleanMap.score;
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.4);
    const meta = await sharp(Buffer.from(scratched.heatmapPngBase64 as string, 'base64')).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([SIZE, SIZE, 1]);
    expect(scratched.regions?.length).toBeGreaterThan(0);
    const [x, y, w, h] = scratched.regions?.[0].bbox ?? [0, 0, 0, 0];
    // the largest region overlaps the scratch segment (50,60)–(115,100)
    expect(x < 115 && x + w > 50 && y < 100 && y + h > 60).toBe(true);
    expect(Object.keys(scratched.timings).sort()).toEqual(['backbone', 'decode', 'knn', 'post']);
  });

  it("draws the heatmap only for an NG decision when asked for 'ng' (an OK part's would be thrown away)", async () => {
    const png = await discPng(203, true);
    const { score } = await pool.infer(inferInput(png));
    const below = await pool.infer(inferInput(png, { wantHeatmap: 'ng', threshold: score * 1.01 }));
    expect(below.heatmapPngBase64).toBeUndefined();
    expect(below.score).toBe(score);
    const reached = await pool.infer(inferInput(png, { wantHeatmap: 'ng', threshold: score }));
    expect(reached.heatmapPngBase64).toEqual((await pool.infer(inferInput(png, { wantHeatmap: true, threshold: score }))).heatmapPngBase64);
    expect((await pool.infer(inferInput(png, { wantHeatmap: 'ng' }))).heatmapPngBase64).toBeUndefined(); // no threshold: no decision
  });

  it("applies the memory's map smoothing at inference: same memory rows, a lower, wider peak than without", async () => {
    const files = Array.from({ length: 8 }, (_, i) => ({ name: `ok_${i}.png`, path: join(dir, `ok_${i}.png`) }));
    const rough = await pool.fit({ images: files, coresetRate: 0.25, seed: 0, encodeArtifacts: true, profile: { ...fit.profile, smoothing: { map: 0, score: 0 } } });
    expect(rough.bank).toEqual(fit.bank); // smoothing is applied after the kNN: the fitted memory is the same
    const npzPath = join(dir, 'rough.npz');
    const indexPath = join(dir, 'rough_index.faiss');
    writeFileSync(npzPath, rough.npzBytes as Uint8Array);
    writeFileSync(indexPath, rough.indexBytes as Uint8Array);
    const roughMemory = { npzPath, npzMtimeMs: statSync(npzPath).mtimeMs, indexPath, indexMtimeMs: statSync(indexPath).mtimeMs };
    const png = await discPng(203, true);
    const smooth = await pool.infer(inferInput(png, { returnMap: true }));
    const plain = await pool.infer({ ...inferInput(png, { returnMap: true }), memory: roughMemory });
    const peak = (heat: Float32Array): number => heat.reduce((a, b) => Math.max(a, b), 0);
    expect(peak(smooth.map!.heat)).toBeLessThan(peak(plain.map!.heat) * 0.9);
    expect(smooth.score).not.toBe(plain.score);
  });

  it('preloads a memory into every worker, so the next inferences find it loaded', async () => {
    const npzPath = join(dir, 'fresh.npz');
    const indexPath = join(dir, 'fresh_index.faiss');
    writeFileSync(npzPath, fit.npzBytes as Uint8Array);
    writeFileSync(indexPath, fit.indexBytes as Uint8Array);
    const fresh = { npzPath, npzMtimeMs: statSync(npzPath).mtimeMs, indexPath, indexMtimeMs: statSync(indexPath).mtimeMs };
    const loads = await Promise.all([pool.run('loadMemory', { memory: fresh }), pool.run('loadMemory', { memory: fresh })]);
    expect(new Set(loads.map((l) => l.threadId)).size).toBe(2);
    expect(loads.map((l) => l.loaded)).toEqual([true, true]);
    const png = await discPng(204);
    const infers = await Promise.all([pool.infer({ ...inferInput(png), memory: fresh }), pool.infer({ ...inferInput(png), memory: fresh })]);
    expect(infers.map((r) => r.memoryLoaded)).toEqual([false, false]);
    expect((await pool.run('loadMemory', { memory: fresh })).loaded).toBe(false);
  });

  it('moves the image to the worker on request (detached here, same answer as a copied one)', async () => {
    const png = await discPng(210);
    const copied = await pool.infer(inferInput(png));
    const own = new Uint8Array(png);
    const moved = await pool.infer(inferInput(own), { transferImage: true });
    expect(own.byteLength).toBe(0);
    expect(moved.score).toBe(copied.score);
    // A view over part of a larger buffer is compacted first: the larger buffer stays usable.
    const big = new Uint8Array(png.length + 16);
    big.set(png, 8);
    const part = await pool.infer(inferInput(big.subarray(8, 8 + png.length)), { transferImage: true });
    expect(big.byteLength).toBe(png.length + 16);
    expect(part.score).toBe(copied.score);
  });

  it('rethrows worker errors as the same typed classes', async () => {
    await expect(pool.infer(inferInput(Buffer.from('nope')))).rejects.toBeInstanceOf(ImageDecodeError);
    const badNpz = join(dir, 'bad.npz');
    writeFileSync(badNpz, 'garbage');
    const bad = { npzPath: badNpz, npzMtimeMs: 1, indexPath: null, indexMtimeMs: null };
    const err = await pool.infer(inferInput(await discPng(1), { memory: bad })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptArtifactError);
    expect((err as CorruptArtifactError).file).toBe(badNpz);
  });

  it('reports a token grid mismatch with a message that does not read as "not fitted"', async () => {
    const npzPath = join(dir, 'grid.npz');
    writeFileSync(npzPath, encodeMemoryNpz({ emb: fit.bank.slice(0, 32 * 4), dim: 32, tokenH: 8, tokenW: 8, metadata: {} }));
    const err = await pool
      .infer(inferInput(await discPng(1), { memory: { npzPath, npzMtimeMs: 1, indexPath: null, indexMtimeMs: null } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenGridMismatchError);
    const message = (err as Error).message.toLowerCase();
    expect(message).toContain('re-fit');
    for (const banned of ['not fitted', 'memory not found', 'missing fit', 'no embeddings']) expect(message).not.toContain(banned);
  });

  it('names the file when one fit image cannot be decoded, or skips it on request', async () => {
    const good = { name: 'good.png', bytes: await discPng(5) };
    const broken = { name: 'broken.png', bytes: new Uint8Array([1, 2, 3]) };
    const err = await pool.fit({ images: [good, broken], coresetRate: 1, seed: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as Error).message).toContain('broken.png');
    const skipped = await pool.fit({ images: [good, broken], coresetRate: 1, seed: 0, onImageError: 'skip' });
    expect(skipped.errors.map((e) => [e.name, e.code])).toEqual([['broken.png', 'invalid_image']]);
    expect([skipped.m, skipped.nEmbeddings, skipped.appliedRate]).toEqual([256, 256, 1]);
  });

  it('cancels a fit through the abort flag without killing the worker', async () => {
    const before = pool.stats().threadIds;
    const images = await Promise.all(Array.from({ length: 20 }, async (_, i) => ({ name: `a${i}.png`, bytes: await discPng(300 + i) })));
    const controller = new AbortController();
    const running = pool.fit({ images, coresetRate: 0.1, seed: 0 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(running).rejects.toBeInstanceOf(AbortedError);
    await expect(pool.fit({ images, coresetRate: 0.1, seed: 0 }, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    await pool.warmUp();
    expect(pool.stats().threadIds).toEqual(before);
  });

  it('publishes fit progress from the worker: images through the backbone, then coreset, then artifacts', async () => {
    const images = await Promise.all(Array.from({ length: 12 }, async (_, i) => ({ name: `p${i}.png`, bytes: await discPng(500 + i) })));
    const seen: TaskProgress[] = [];
    await pool.fit({ images, coresetRate: 0.25, seed: 0, encodeArtifacts: true }, { onProgress: (p) => seen.push(p) });
    // The last report is always delivered (the poller reads once more when the task ends).
    expect(seen[seen.length - 1]).toEqual({ phase: 'artifacts', done: 12, total: 12 });
    for (const p of seen) {
      expect(p.total).toBe(12);
      expect(p.done).toBeGreaterThanOrEqual(0);
      expect(p.done).toBeLessThanOrEqual(12);
    }
    // Phases only move forward.
    const order = ['features', 'coreset', 'artifacts'];
    const indices = seen.map((p) => order.indexOf(p.phase));
    expect(indices.every((v, i) => v >= 0 && (i === 0 || v >= indices[i - 1]))).toBe(true);
  });
});
