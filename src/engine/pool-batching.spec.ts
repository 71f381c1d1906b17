// Dynamic batching through real workers and the real (generated, dynamic-batch) built-in backbone: batched answers
// equal unbatched ones, one bad image fails only its own request, and a model with a fixed batch of 1 still works.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { BUILTIN_BACKBONE_NAME, backboneDirectory, resolveBackboneManifest } from './backbone';
import { ensureBuiltinBackbone } from './backbone/builtin-backbone';
import { generateTinyVit } from './backbone/testing/tiny-vit';
import { ImageDecodeError } from './engine-error';
import type { MemoryArtifactRef } from './memory-cache';
import { InferencePool } from './pool';
import type { InferInput, InferOutput } from './pool-protocol';
import { createPrng } from './seeded-prng';

async function crop(seed: number, size = 96): Promise<Uint8Array> {
  const rng = createPrng(seed);
  const data = new Uint8Array(size * size * 3).map((_, i) => 90 + 40 * Math.sin(i / 97) + rng.next() * 30);
  if (seed % 2) data.fill(250, size * 40 * 3, size * 44 * 3);
  return new Uint8Array(await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
}

async function fitted(pool: InferencePool, dir: string, name: string): Promise<MemoryArtifactRef> {
  const images = await Promise.all([10, 12, 14].map(async (s) => ({ name: `${s}.png`, bytes: await crop(s) })));
  const fit = await pool.fit({ images, coresetRate: 0.5, seed: 0, encodeArtifacts: true });
  const npzPath = join(dir, `${name}.npz`);
  const indexPath = join(dir, `${name}_index.faiss`);
  writeFileSync(npzPath, fit.npzBytes as Uint8Array);
  writeFileSync(indexPath, fit.indexBytes as Uint8Array);
  return { npzPath, npzMtimeMs: statSync(npzPath).mtimeMs, indexPath, indexMtimeMs: statSync(indexPath).mtimeMs };
}

const inputOf = (image: Uint8Array, memory: MemoryArtifactRef): InferInput => ({
  image,
  memory,
  shape: { kind: 'circle', cx: 48, cy: 48, r: 40 },
  threshold: 0.01,
  scorePercentile: 99,
  areaMm2Thr: 0,
  mmPerPx: 1,
  wantHeatmap: true,
});

async function grayOf(output: InferOutput): Promise<Buffer> {
  return sharp(Buffer.from(output.heatmapPngBase64 as string, 'base64')).toColourspace('b-w').raw().toBuffer();
}

describe('dynamic batching (real workers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pool-batch-'));
  ensureBuiltinBackbone(backboneDirectory(dir, BUILTIN_BACKBONE_NAME), BUILTIN_BACKBONE_NAME);
  const manifestPath = resolveBackboneManifest(dir, BUILTIN_BACKBONE_NAME);
  // One worker, batches of 3, a delay no test waits for: three concurrent requests form one full batch at once.
  const batched = new InferencePool({ manifestPath, size: 1, intraOpThreads: 1, device: 'cpu', batchMax: 3, batchDelayMs: 60_000 });
  const single = new InferencePool({ manifestPath, size: 1, intraOpThreads: 1, device: 'cpu' });
  let memory: MemoryArtifactRef;

  beforeAll(async () => {
    memory = await fitted(single, dir, 'builtin');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([batched.close(), single.close()]);
  });

  it('answers every request of a batch as the unbatched path does, from one backbone run', async () => {
    const images = await Promise.all([21, 22, 23].map((s) => crop(s)));
    const alone: InferOutput[] = [];
    for (const image of images) alone.push(await single.infer(inputOf(image, memory)));
    const [warm] = await batched.warmUp();
    expect(warm.batching?.batchable).toBe(true);
    const before = (await batched.run('info', {})).batching;
    const together = await Promise.all(images.map((image) => batched.infer(inputOf(new Uint8Array(image), memory), { transferImage: true })));
    for (let i = 0; i < images.length; i++) {
      expect(together[i].score).toBeCloseTo(alone[i].score, 5);
      expect(together[i].tokenShape).toEqual(alone[i].tokenShape);
      expect(together[i].regions?.map((r) => r.bbox)).toEqual(alone[i].regions?.map((r) => r.bbox));
      const [a, b] = [await grayOf(alone[i]), await grayOf(together[i])];
      let maxDiff = 0;
      for (let p = 0; p < a.length; p++) maxDiff = Math.max(maxDiff, Math.abs(a[p] - b[p]));
      expect(maxDiff).toBeLessThanOrEqual(1);
    }
    // The worker ran the three backbone inputs as one session run with batch dimension 3.
    const info = await batched.run('info', {});
    expect(info.batching?.batchable).toBe(true);
    expect(info.batching?.largest).toBe(3);
    expect((info.batching?.runs ?? 0) - (before?.runs ?? 0)).toBe(1);
  });

  it('fails only the request whose image is bad', async () => {
    const [good1, good2] = await Promise.all([crop(31), crop(32)]);
    const results = await Promise.allSettled([
      batched.infer(inputOf(good1, memory)),
      batched.infer(inputOf(new Uint8Array([1, 2, 3]), memory)),
      batched.infer(inputOf(good2, memory)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ImageDecodeError);
    const alone = await single.infer(inputOf(good2, memory));
    expect((results[2] as PromiseFulfilledResult<InferOutput>).value.score).toBeCloseTo(alone.score, 5);
  });

  it('serves a model whose batch is fixed at 1 one run per item, with the same answers', async () => {
    const vit = generateTinyVit({ dir: mkdtempSync(join(dir, 'vit-')), inputWidth: 112, inputHeight: 112, dim: 16, depth: 1, heads: 2 });
    const vitBatched = new InferencePool({ manifestPath: vit.manifestPath, size: 1, intraOpThreads: 1, device: 'cpu', batchMax: 2, batchDelayMs: 60_000 });
    const vitSingle = new InferencePool({ manifestPath: vit.manifestPath, size: 1, intraOpThreads: 1, device: 'cpu' });
    try {
      // The warm-up's batch finds the fixed batch of 1 before any request.
      const [warm] = await vitBatched.warmUp();
      expect(warm.batching).toMatchObject({ batchable: false, runs: 0 });
      const vitMemory = await fitted(vitSingle, dir, 'vit');
      const images = await Promise.all([41, 42].map((s) => crop(s)));
      const together = await Promise.all(images.map((image) => vitBatched.infer(inputOf(image, vitMemory))));
      for (let i = 0; i < images.length; i++) {
        expect(together[i].score).toBeCloseTo((await vitSingle.infer(inputOf(images[i], vitMemory))).score, 5);
      }
      const info = await vitBatched.run('info', {});
      expect(info.batching?.largest).toBe(1);
    } finally {
      await Promise.all([vitBatched.close(), vitSingle.close()]);
    }
  });
});
