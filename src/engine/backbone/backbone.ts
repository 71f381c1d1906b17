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
  private readonly gridH: number;
  private readonly gridW: number;

  private constructor(
    readonly info: BackboneInfo,
    readonly manifest: BackboneManifest,
    session: InferenceSession,
  ) {
    this.batching = new BatchingSession(session);
    this.session = this.batching;
    this.gridH = manifest.input.height / manifest.patchStride;
    this.gridW = manifest.input.width / manifest.patchStride;
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
        device: created.device,
        ...(created.deviceReason ? { deviceReason: created.deviceReason } : {}),
      };
      const backbone = new Backbone(provisional, manifest, created.session);
      // One dummy forward: validates output shapes and grid against the manifest and warms the session up.
      const probe = await backbone.extract({
        data: new Uint8Array(manifest.input.width * manifest.input.height * 3),
        width: manifest.input.width,
        height: manifest.input.height,
      });
      if (manifest.dim !== undefined && manifest.dim !== probe.dim) {
        throw new BackboneError(
          'backbone_model_mismatch',
          `Manifest declares dim ${manifest.dim} but the model produces ${probe.dim} channels`,
        );
      }
      return new Backbone({ ...provisional, dim: probe.dim }, manifest, created.session);
    } catch (err) {
      await created.session.release().catch(() => undefined);
      if (err instanceof BackboneError) throw err;
      throw new BackboneError('backbone_model_mismatch', `Backbone check run failed: ${(err as Error).message}`);
    }
  }

  /** image: the letterboxed input, exactly inputWidth×inputHeight. Returns raw (not L2-normalised) features. */
  async extract(image: RgbImage): Promise<PatchFeatures> {
    const session = this.session;
    if (!session) throw new BackboneError('backbone_released');
    const { input, outputs, combine } = this.manifest;
    const tensor = new Tensor('float32', toInputTensor(image, input), [1, 3, input.height, input.width]);
    // No fetch list: onnxruntime-node 1.23 keys a subset fetch by the wrong output names (block0 for block1).
    const results = await session.run({ [input.name]: tensor });
    const maps: FeatureMap[] = outputs.map((spec) => {
      const out = results[spec.name];
      if (out.type !== 'float32') {
        throw new BackboneError('backbone_model_mismatch', `Output "${spec.name}" is ${out.type}, expected float32`);
      }
      const data = out.data as Float32Array;
      return spec.layout === 'tokens'
        ? tokensToMap(spec.name, data, out.dims, spec.prefixTokens, this.gridH, this.gridW)
        : nchwToMap(spec.name, data, out.dims);
    });
    const combined = combineLayers(maps, combine);
    if (combined.h !== this.gridH || combined.w !== this.gridW) {
      throw new BackboneError(
        'backbone_model_mismatch',
        `Combined grid is ${combined.h}x${combined.w}, expected ${this.gridH}x${this.gridW} ` +
          `(input ${input.height}x${input.width} / patchStride ${this.manifest.patchStride})`,
      );
    }
    // A subarray view (token outputs) would keep the whole output alive and cannot be transferred alone.
    const features =
      combined.data.byteOffset === 0 && combined.data.length === combined.data.buffer.byteLength / 4
        ? combined.data
        : combined.data.slice();
    return { features, gridH: combined.h, gridW: combined.w, dim: combined.c };
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
