// Writes a small random ViT with DINOv2's exact interface (model.onnx + backbone.json) for tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackboneManifest } from '../manifest';
import { buildVitGraph, vitOutputNames, type VitGraphOptions } from './vit-graph';

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

export interface TinyVitOptions extends Partial<VitGraphOptions> {
  /** Directory to write into; a fresh temp directory when omitted. */
  dir?: string;
  /** Input size written to the manifest (the graph itself accepts any multiple of `patch`). */
  inputWidth?: number;
  inputHeight?: number;
  name?: string;
}

export interface GeneratedBackbone {
  dir: string;
  manifestPath: string;
  modelPath: string;
  manifest: BackboneManifest;
}

export function generateTinyVit(options: TinyVitOptions = {}): GeneratedBackbone {
  const graph: VitGraphOptions = {
    dim: 16,
    depth: 3,
    heads: 2,
    patch: 14,
    registers: 0,
    mlpRatio: 2,
    posGrid: 8,
    positionEmbedding: true,
    attention: true,
    outputs: 'last_hidden_state',
    blockIndices: [],
    weightStd: 0.2,
    layerScale: 1,
    seed: 7,
    ...stripUndefined(options),
  };
  if (graph.outputs === 'blocks' && graph.blockIndices.length === 0) {
    graph.blockIndices = [graph.depth - 3, graph.depth - 2, graph.depth - 1].filter((i) => i >= 0);
  }
  const width = options.inputWidth ?? 448;
  const height = options.inputHeight ?? 448;
  const manifest: BackboneManifest = {
    name: options.name ?? 'tiny-vit',
    version: '1',
    description: 'random tiny ViT for tests',
    model: 'model.onnx',
    input: { name: 'pixel_values', width, height, layout: 'NCHW', colour: 'RGB', scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD },
    patchStride: graph.patch,
    outputs: vitOutputNames(graph).map((name) => ({ name, layout: 'tokens' as const, prefixTokens: 1 + graph.registers })),
    combine: { mode: 'concat', grid: 'first', neighbourhoodAverage: 1 },
  };
  return writeBackbone(options.dir ?? mkdtempSync(join(tmpdir(), 'tiny-vit-')), buildVitGraph(graph), manifest);
}

export function writeBackbone(dir: string, model: Uint8Array, manifest: BackboneManifest): GeneratedBackbone {
  const modelPath = join(dir, manifest.model);
  const manifestPath = join(dir, 'backbone.json');
  writeFileSync(modelPath, model);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifestPath, modelPath, manifest };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
