import { rmSync, writeFileSync } from 'node:fs';
import type { RgbImage } from '../types';
import { Backbone, type LoadBackboneOptions } from './backbone';
import { BackboneError } from './backbone-error';
import { generateTinyVit, type GeneratedBackbone } from './testing/tiny-vit';

const CPU: LoadBackboneOptions = { device: 'cpu', intraOpThreads: 1 };

function greyImage(width: number, height: number, value = 128): RgbImage {
  return { data: new Uint8Array(width * height * 3).fill(value), width, height };
}

function row(features: Float32Array, dim: number, index: number): Float32Array {
  return features.subarray(index * dim, (index + 1) * dim);
}

describe('Backbone with a DINOv2-shaped ViT', () => {
  const dirs: string[] = [];
  const generate = (...args: Parameters<typeof generateTinyVit>): GeneratedBackbone => {
    const generated = generateTinyVit(...args);
    dirs.push(generated.dir);
    return generated;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('maps a 448×448 input with stride 14 to a 32×32 grid of last_hidden_state features', async () => {
    const { manifestPath } = generate({ dim: 16 });
    const backbone = await Backbone.load(manifestPath, CPU);
    const out = await backbone.extract(greyImage(448, 448));
    expect(backbone.info).toMatchObject({ name: 'tiny-vit', inputWidth: 448, inputHeight: 448, patchStride: 14, dim: 16, device: 'cpu' });
    expect([out.gridH, out.gridW, out.dim, out.features.length]).toEqual([32, 32, 16, 32 * 32 * 16]);
    expect(out.features.every(Number.isFinite)).toBe(true);
    await backbone.release();
  });

  it('maps a non-square 448 wide × 224 high input to a 16 rows × 32 columns grid', async () => {
    const { manifestPath } = generate({ dim: 16, inputWidth: 448, inputHeight: 224 });
    const backbone = await Backbone.load(manifestPath, CPU);
    const out = await backbone.extract(greyImage(448, 224));
    expect([out.gridH, out.gridW, out.features.length]).toEqual([16, 32, 16 * 32 * 16]);
    await backbone.release();
  });

  it('drops CLS and register tokens and keeps row-major token order', async () => {
    // Token-wise blocks without position embedding: every patch row depends only on its own pixels.
    const { manifestPath } = generate({
      dim: 8,
      registers: 2,
      attention: false,
      positionEmbedding: false,
      prefixValue: 1000,
      inputWidth: 224,
      inputHeight: 112,
    });
    const backbone = await Backbone.load(manifestPath, CPU);
    const image = greyImage(224, 112, 100);
    // Brighten the patch at grid row 3, column 5 (pixels y 42..55, x 70..83).
    for (let y = 42; y < 56; y++) for (let x = 70; x < 84; x++) image.data.fill(250, (y * 224 + x) * 3, (y * 224 + x) * 3 + 3);
    const out = await backbone.extract(image);
    expect([out.gridH, out.gridW]).toEqual([8, 16]);
    expect(out.features.length).toBe(8 * 16 * 8);
    expect(Math.max(...out.features.map(Math.abs))).toBeLessThan(100); // no ≈1000 prefix row survived
    const marked = 3 * 16 + 5;
    const differing = Array.from({ length: 8 * 16 }, (_, i) => i).filter(
      (i) => Math.max(...row(out.features, 8, i).map((v, c) => Math.abs(v - row(out.features, 8, 0)[c]))) > 1e-5,
    );
    expect(differing).toEqual([marked]);
    await backbone.release();
  });

  it('concatenates three block outputs into 3 × C channels in manifest order', async () => {
    const all = generate({ dim: 16, depth: 3, outputs: 'blocks', inputWidth: 224, inputHeight: 224 });
    const backbone = await Backbone.load(all.manifestPath, CPU);
    expect(all.manifest.outputs.map((o) => o.name)).toEqual(['block0', 'block1', 'block2']);
    expect(backbone.info.dim).toBe(48);
    const image = greyImage(224, 224);
    for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 37) % 256;
    const out = await backbone.extract(image);

    // The same model read through a manifest naming only block1 gives channels 16..31 of the concat.
    const single = { ...all.manifest, outputs: [all.manifest.outputs[1]] };
    writeFileSync(all.manifestPath, JSON.stringify(single));
    const block1 = await Backbone.load(all.manifestPath, CPU);
    const one = await block1.extract(image);
    expect(one.dim).toBe(16);
    for (const cell of [0, 77, 255]) {
      expect(Array.from(row(out.features, 48, cell).subarray(16, 32))).toEqual(Array.from(row(one.features, 16, cell)));
    }
    await Promise.all([backbone.release(), block1.release()]);
  });

  it('rejects a manifest whose prefix token count does not fit the token grid', async () => {
    const generated = generate({ dim: 8, registers: 4, inputWidth: 224, inputHeight: 224 });
    const wrong = { ...generated.manifest, outputs: [{ name: 'last_hidden_state', layout: 'tokens', prefixTokens: 1 }] };
    writeFileSync(generated.manifestPath, JSON.stringify(wrong));
    await expect(Backbone.load(generated.manifestPath, CPU)).rejects.toMatchObject({
      code: 'backbone_model_mismatch',
      message: expect.stringContaining('261 tokens'),
    });
  });

  it('rejects a manifest naming an output the model does not have', async () => {
    const generated = generate({ dim: 8, inputWidth: 224, inputHeight: 224 });
    writeFileSync(generated.manifestPath, JSON.stringify({ ...generated.manifest, outputs: [{ name: 'block11', layout: 'tokens', prefixTokens: 1 }] }));
    await expect(Backbone.load(generated.manifestPath, CPU)).rejects.toMatchObject({ code: 'backbone_model_mismatch' });
  });

  it('rejects an image of the wrong size and any use after release', async () => {
    const { manifestPath } = generate({ dim: 8, inputWidth: 224, inputHeight: 224 });
    const backbone = await Backbone.load(manifestPath, CPU);
    await expect(backbone.extract(greyImage(224, 223))).rejects.toMatchObject({ code: 'backbone_input_mismatch' });
    await backbone.release();
    const error = await backbone.extract(greyImage(224, 224)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackboneError);
    expect((error as BackboneError).code).toBe('backbone_released');
  });
});
