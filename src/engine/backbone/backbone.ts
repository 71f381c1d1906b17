// An ONNX image backbone described by a manifest: one session, created once, that turns a letterboxed RGB
// input into raw patch features. Runs inside worker threads, so no Nest here.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import type { PatchFeatures, RgbImage } from '../types';
import { BackboneError } from './backbone-error';
import { BatchingSession } from './batching-session';
import { createDeviceSession, type DeviceRequest, type SessionFactory } from './execution-device';
import { nchwToMap, tokensToMap, type FeatureMap } from './feature-map';
import { toInputTensor } from './input-tensor';
import { combineLayers } from './layer-combination';
import { parseBackboneManifest, type BackboneManifest } from './manifest';

export interface BackboneInfo {
  name: string;
  inputWidth: number;
  inputHeight: number;
  patchStride: number;
  dim: number;
  /** Channels of each output in the combined features (feature blocks, manifest order). */
  blocks: number[];
  /** Takes any input size that is a multiple of patchStride (see BackboneInputSpec.resizable). */
  resizable: boolean;
  device: 'cpu' | 'cuda';
  deviceReason?: string;
}

export interface LoadBackboneOptions {
  device: DeviceRequest;
  intraOpThreads: number;
  requireCuda?: boolean;
  /** Test seam: replaces `InferenceSession.create`. */
  sessionFactory?: SessionFactory;
}

export class Backbone {
  private session: BatchingSession | null;
  /** The session as batch tasks use it: concurrent runs of a batch window share one run (batching-session.ts). */
  readonly batching: BatchingSession;

  private constructor(
    readonly info: BackboneInfo,
    readonly manifest: BackboneManifest,
    session: InferenceSession,
  ) {
    this.batching = new BatchingSession(session);
    this.session = this.batching;
  }

  /** Loads `<dir>/backbone.json` and the model it names, then checks the model against it with one dummy run. */
  static async load(manifestPath: string, options: LoadBackboneOptions): Promise<Backbone> {
    let text: string;
    try {
      text = await readFile(manifestPath, 'utf8');
    } catch {
      throw new BackboneError('backbone_not_found', `Backbone manifest not found: ${manifestPath}`, { path: manifestPath });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new BackboneError('backbone_invalid_manifest', `${manifestPath}: not valid JSON (${(err as Error).message})`);
    }
    const manifest = parseBackboneManifest(json, manifestPath);
    const modelPath = join(dirname(manifestPath), manifest.model);
    if (!existsSync(modelPath)) {
      throw new BackboneError('backbone_not_found', `Backbone model file not found: ${modelPath}`, { path: modelPath });
    }
    return Backbone.open(manifest, modelPath, options);
  }

  /** Opens a model (file path or bytes) with an already validated manifest. */
  static async open(
    manifest: BackboneManifest,
    model: string | Uint8Array,
    options: LoadBackboneOptions,
  ): Promise<Backbone> {
    const created = await createDeviceSession(model, options, options.sessionFactory);
    try {
      checkNames(manifest, created.session);
      const provisional: BackboneInfo = {
        name: manifest.name,
        inputWidth: manifest.input.width,
        inputHeight: manifest.input.height,
        patchStride: manifest.patchStride,
        dim: 0,
        blocks: [],
        resizable: manifest.input.resizable === true,
        device: created.device,
        ...(created.deviceReason ? { deviceReason: created.deviceReason } : {}),
      };
      const backbone = new Backbone(provisional, manifest, created.session);
      // One dummy forward: validates output shapes and grid against the manifest and warms the session up.
      const probe = await backbone.extractBlocks({
        data: new Uint8Array(manifest.input.width * manifest.input.height * 3),
        width: manifest.input.width,
        height: manifest.input.height,
      });
      if (manifest.dim !== undefined && manifest.dim !== probe.features.dim) {
        throw new BackboneError(
          'backbone_model_mismatch',
          `Manifest declares dim ${manifest.dim} but the model produces ${probe.features.dim} channels`,
        );
      }
      return new Backbone({ ...provisional, dim: probe.features.dim, blocks: probe.blocks }, manifest, created.session);
    } catch (err) {
      await created.session.release().catch(() => undefined);
      if (err instanceof BackboneError) throw err;
      throw new BackboneError('backbone_model_mismatch', `Backbone check run failed: ${(err as Error).message}`);
    }
  }

  /** image: the sized input (inputWidth×inputHeight, or any multiple of patchStride when resizable). Returns raw
   *  (not normalised) features. */
  async extract(image: RgbImage): Promise<PatchFeatures> {
    return (await this.extractBlocks(image)).features;
  }

  private async extractBlocks(image: RgbImage): Promise<{ features: PatchFeatures; blocks: number[] }> {
    const session = this.session;
    if (!session) throw new BackboneError('backbone_released');
    const { input, outputs, combine, patchStride } = this.manifest;
    const resizable = input.resizable === true;
    if (resizable ? image.width % patchStride !== 0 || image.height % patchStride !== 0 : image.width !== input.width || image.height !== input.height) {
      throw new BackboneError(
        'backbone_input_mismatch',
        resizable
          ? `Backbone input sides must be multiples of ${patchStride}, got ${image.width}x${image.height}`
          : `Backbone input must be ${input.width}x${input.height}, got ${image.width}x${image.height}`,
      );
    }
    const gridH = image.height / patchStride;
    const gridW = image.width / patchStride;
    const tensor = new Tensor('float32', toInputTensor(image, input), [1, 3, image.height, image.width]);
    // No fetch list: onnxruntime-node 1.23 keys a subset fetch by the wrong output names (block0 for block1).
    const results = await session.run({ [input.name]: tensor });
    const maps: FeatureMap[] = outputs.map((spec) => {
      const out = results[spec.name];
      if (out.type !== 'float32') {
        throw new BackboneError('backbone_model_mismatch', `Output "${spec.name}" is ${out.type}, expected float32`);
      }
      const data = out.data as Float32Array;
      return spec.layout === 'tokens'
        ? tokensToMap(spec.name, data, out.dims, spec.prefixTokens, gridH, gridW)
        : nchwToMap(spec.name, data, out.dims);
    });
    const combined = combineLayers(maps, combine);
    if (combined.h !== gridH || combined.w !== gridW) {
      throw new BackboneError(
        'backbone_model_mismatch',
        `Combined grid is ${combined.h}x${combined.w}, expected ${gridH}x${gridW} ` +
          `(input ${image.height}x${image.width} / patchStride ${patchStride})`,
      );
    }
    // A subarray view (token outputs) would keep the whole output alive and cannot be transferred alone.
    const features =
      combined.data.byteOffset === 0 && combined.data.length === combined.data.buffer.byteLength / 4
        ? combined.data
        : combined.data.slice();
    return { features: { features, gridH: combined.h, gridW: combined.w, dim: combined.c }, blocks: maps.map((m) => m.c) };
  }

  async release(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) await session.release();
  }
}

function checkNames(manifest: BackboneManifest, session: InferenceSession): void {
  if (!session.inputNames.includes(manifest.input.name)) {
    throw new BackboneError(
      'backbone_model_mismatch',
      `Model has no input "${manifest.input.name}" (inputs: ${session.inputNames.join(', ')})`,
    );
  }
  for (const output of manifest.outputs) {
    if (!session.outputNames.includes(output.name)) {
      throw new BackboneError(
        'backbone_model_mismatch',
        `Model has no output "${output.name}" (outputs: ${session.outputNames.join(', ')})`,
      );
    }
  }
}
