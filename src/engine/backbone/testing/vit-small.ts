// Full-size DINOv2 ViT-S/14 shape with random weights (12 blocks, 384 dim, 6 heads, 448×448, blocks 9–11),
// so benchmarks can measure the real backbone cost without the pretrained weights.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTinyVit, type GeneratedBackbone } from './tiny-vit';

export function generateVitSmall14(dir: string = mkdtempSync(join(tmpdir(), 'vits14-'))): GeneratedBackbone {
  return generateTinyVit({
    dir,
    name: 'random-vits14',
    dim: 384,
    depth: 12,
    heads: 6,
    patch: 14,
    registers: 0,
    mlpRatio: 4,
    posGrid: 37,
    outputs: 'blocks',
    blockIndices: [9, 10, 11],
    weightStd: 0.02,
    layerScale: 1e-5,
    inputWidth: 448,
    inputHeight: 448,
    seed: 14,
  });
}
