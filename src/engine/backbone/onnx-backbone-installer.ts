// Installs any ONNX network as a PatchCore backbone by naming internal tensors: probe their shapes with ONNX
// Runtime, build the feature graph (graph-surgery.ts), write a manifest the worker loads like any other, check the
// result with one forward, and only then swap the directory in. Nothing is written before the check passes.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Backbone } from './backbone';
import { BackboneError } from './backbone-error';
import { buildDefaultBackbone } from './default-backbone';
import {
  buildFeatureGraph,
  buildProbeGraph,
  featureOutputName,
  IN_GRAPH_COMBINE_MIN_OPSET,
  mergeFeatureGraphs,
  OnnxModel,
  type FeatureLayer,
  type GraphImageInput,
  type InputAdapter,
} from './graph-surgery';
import { DEFAULT_MODEL_FILE_NAME, MANIFEST_FILE_NAME, parseBackboneManifest, type BackboneInputSpec, type BackboneManifest } from './manifest';
import { backboneDirectory } from './manifest-location';
import { replaceDirectory } from './replace-directory';

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
/** Input side used when the network's input size is symbolic and no --size is given. */
export const DEFAULT_INPUT_SIZE = 224;

export interface OnnxInstallOptions {
  onnxPath: string;
  name: string;
  /** Internal values to use as features, in concatenation order. */
  layers: string[];
  modelsDir: string;
  /** Square input side; default the network's declared size, else 224. */
  size?: number;
  /** Normalisation (x · scale − mean) / std per channel; defaults: 1/255 and ImageNet's mean/std. */
  scale?: number;
  mean?: [number, number, number];
  std?: [number, number, number];
  colour?: 'RGB' | 'BGR';
  /** PatchCore's neighbourhood average, odd k (default 3; 1 = none). */
  neighbourhood?: number;
  /** Replace an installed backbone of the same name. */
  force?: boolean;
  intraOpThreads?: number;
  /**
   * Install the built-in texture blocks and these layers as one graph (blocks: the built-in's, then one per layer),
   * so a recipe's tuner can weigh the pretrained network against the built-in families. Needs stride 8 and opset ≥ 11.
   */
  withBuiltin?: boolean;
}

/** Prefix of the installed network's values inside a graph merged with the built-in backbone. */
const MERGED_NETWORK_PREFIX = 'net/';

export interface InstalledLayer {
  name: string;
  dtype: string;
  /** [C, h, w] of the raw value at the install size. */
  shape: [number, number, number];
  /** Producer op whose output scale/zero point dequantise it; absent for float values. */
  dequantisedBy?: string;
}

export interface OnnxInstallResult {
  directory: string;
  manifest: BackboneManifest;
  layers: InstalledLayer[];
  /** true: average/resize/dequantise run in the graph; false (opset < 11): resize and average in the worker. */
  combinedInGraph: boolean;
  /** The installed graph ran at another size with the exact stride grid: marked `input.resizable` (aspect sizing). */
  resizable: boolean;
  modelBytes: number;
}

export async function installOnnxBackbone(options: OnnxInstallOptions): Promise<OnnxInstallResult> {
  const directory = backboneDirectory(options.modelsDir, options.name);
  if (existsSync(directory) && !options.force) {
    throw new BackboneError('backbone_exists', `Backbone "${options.name}" is already installed at ${directory}; use --force to replace it`, {
      name: options.name,
    });
  }
  const neighbourhood = options.neighbourhood ?? 3;
  if (!Number.isInteger(neighbourhood) || neighbourhood < 1 || neighbourhood > 15 || neighbourhood % 2 === 0) {
    throw new BackboneError('backbone_invalid_manifest', `--neighbourhood must be an odd integer in [1, 15], got ${neighbourhood}`);
  }
  if (options.layers.length === 0) throw new BackboneError('backbone_unknown_tensor', 'Name at least one internal tensor with --layers');
  if (new Set(options.layers).size !== options.layers.length) {
    throw new BackboneError('backbone_unknown_tensor', `--layers names a tensor twice: ${options.layers.join(', ')}`);
  }
  const source = readModel(options.onnxPath);
  const model = OnnxModel.decode(source, options.onnxPath);
  const input = model.imageInput();
  const [height, width] = inputSize(input, options.size);
  for (const layer of options.layers) model.requireInternalValue(layer);

  const threads = options.intraOpThreads ?? 2;
  const probed = await probeValues(model, input, options.layers, height, width, threads, options.size !== undefined);
  const layers: Array<FeatureLayer & InstalledLayer> = options.layers.map((name) => {
    const { dims, type } = probed.get(name)!;
    if (dims.length !== 4 || dims[0] !== 1) {
      throw new BackboneError('backbone_unknown_tensor', `Tensor "${name}" is [${dims.join(', ')}], not a feature map [1, C, h, w]`);
    }
    const quantization = type === 'float32' ? null : model.quantizationOf(name);
    if (type !== 'float32' && (!quantization || (type !== 'uint8' && type !== 'int8'))) {
      throw new BackboneError(
        'backbone_unknown_tensor',
        `Tensor "${name}" is ${type} and no QOperator node gives its scale/zero point; name a float tensor ` +
          '(e.g. the output of its DequantizeLinear)',
      );
    }
    return {
      name,
      quantization,
      dtype: type,
      shape: [dims[1], dims[2], dims[3]],
      ...(quantization ? { dequantisedBy: quantization.producer } : {}),
    };
  });

  const gridLayer = finestLayer(layers.map((l) => [l.shape[1], l.shape[2]]));
  const [, gridH, gridW] = layers[gridLayer].shape;
  const patchStride = height / gridH;
  if (!Number.isInteger(patchStride) || width / gridW !== patchStride) {
    const stride = Math.round(height / gridH);
    throw new BackboneError(
      'backbone_invalid_input',
      `At ${width}x${height} the finest layer "${layers[gridLayer].name}" is ${gridW}x${gridH}, not an exact ` +
        `stride; choose --size as a multiple of ${stride}`,
    );
  }

  const combinedInGraph = model.opset >= IN_GRAPH_COMBINE_MIN_OPSET;
  const feature = buildFeatureGraph(model, { layers, gridLayer, neighbourhood, combineInGraph: combinedInGraph });
  const networkInput: BackboneInputSpec = {
    name: input.name,
    width,
    height,
    layout: 'NCHW',
    colour: options.colour ?? 'RGB',
    scale: options.scale ?? 1 / 255,
    mean: options.mean ?? IMAGENET_MEAN,
    std: options.std ?? IMAGENET_STD,
  };
  const networkOutputs = layers.map((l) => featureOutputName(l.name));
  const networkDim = layers.reduce((sum, l) => sum + l.shape[0], 0);
  let graph = feature;
  let graphFields: GraphFields = {
    input: networkInput,
    outputs: networkOutputs.map((name) => ({ name, layout: 'nchw' })),
    dim: networkDim,
  };
  if (options.withBuiltin) {
    if (!combinedInGraph) {
      throw new BackboneError('backbone_invalid_input', `--with-builtin needs opset >= ${IN_GRAPH_COMBINE_MIN_OPSET} (the model has ${model.opset})`);
    }
    ({ graph, fields: graphFields } = besideBuiltin(feature, graphFields, patchStride));
  }
  const bytes = graph.encode();
  const manifest = parseBackboneManifest({
    name: options.name,
    version: createHash('sha256').update(bytes).digest('hex').slice(0, 12),
    description:
      `${basename(options.onnxPath)}, internal tensors ${options.layers.join(' + ')} (installed by name)` +
      (options.withBuiltin ? ', beside the built-in texture blocks' : ''),
    model: DEFAULT_MODEL_FILE_NAME,
    ...graphFields,
    patchStride,
    combine: combinedInGraph
      ? { mode: 'concat', grid: 'first', neighbourhoodAverage: 1 }
      : { mode: 'concat', grid: 'finest', neighbourhoodAverage: neighbourhood },
    generator: {
      script: 'scripts/install-backbone.ts',
      source: basename(options.onnxPath),
      sourceSha256: createHash('sha256').update(source).digest('hex'),
      layers: layers.map(({ name, dtype, shape, dequantisedBy }) => ({ name, dtype, shape, ...(dequantisedBy ? { dequantisedBy } : {}) })),
      neighbourhood,
      combinedInGraph,
      ...(options.withBuiltin ? { withBuiltin: true } : {}),
    },
  });

  const resizable = await checkFeatures(manifest, bytes, threads);
  if (resizable) manifest.input.resizable = true;
  replaceDirectory(directory, (temp) => {
    writeFileSync(join(temp, DEFAULT_MODEL_FILE_NAME), bytes);
    writeFileSync(join(temp, MANIFEST_FILE_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return {
    directory,
    manifest,
    layers: layers.map(({ name, dtype, shape, dequantisedBy }) => ({ name, dtype, shape, ...(dequantisedBy ? { dequantisedBy } : {}) })),
    combinedInGraph,
    resizable,
    modelBytes: bytes.length,
  };
}

export interface TensorCandidate {
  name: string;
  /** Producing op (domain-qualified for contrib ops). */
  op: string;
  dtype: string;
  /** [C, h, w] at the probe size. */
  shape: [number, number, number];
  /** Input pixels per cell (rounded). */
  stride: number;
  /** int8/uint8 with a known scale/zero point (installed dequantised). */
  quantized: boolean;
  /** A residual sum (or its activation): the usual end of a ResNet/MobileNet stage. */
  residual: boolean;
}

export interface TensorListing {
  input: { name: string; width: number; height: number };
  candidates: TensorCandidate[];
  /** PatchCore's usual choice: the last residual value at stride 8 and at stride 16 (layer2 + layer3). */
  suggested: string[];
}

/** Every internal value usable as a feature map, with its shape at the given (or declared) input size. */
export async function listFeatureTensors(onnxPath: string, size?: number, intraOpThreads = 2): Promise<TensorListing> {
  const model = OnnxModel.decode(readModel(onnxPath), onnxPath);
  const input = model.imageInput();
  const [height, width] = inputSize(input, size);
  const names = model.internalValues();
  const probed = await probeValues(model, input, names, height, width, intraOpThreads, size !== undefined);
  const candidates: TensorCandidate[] = [];
  for (const name of names) {
    const value = probed.get(name);
    if (!value || value.dims.length !== 4 || value.dims[0] !== 1 || value.dims[2] < 2 || value.dims[3] < 2) continue;
    const quantized = value.type !== 'float32' && model.quantizationOf(name) !== null;
    if (value.type !== 'float32' && !quantized) continue;
    const { node } = model.producers.get(name)!;
    candidates.push({
      name,
      op: opName(node.domain, node.opType),
      dtype: value.type,
      shape: [value.dims[1], value.dims[2], value.dims[3]],
      stride: Math.round(height / value.dims[2]),
      quantized,
      residual: isResidual(model, name),
    });
  }
  const suggested: string[] = [];
  for (const stride of [8, 16]) {
    const atStride = candidates.filter((c) => c.stride === stride);
    const pick = atStride.filter((c) => c.residual).pop() ?? atStride.pop();
    if (pick) suggested.push(pick.name);
  }
  return { input: { name: input.name, width, height }, candidates, suggested: suggested.length === 2 ? suggested : [] };
}

function readModel(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new BackboneError('backbone_not_found', `Cannot read ONNX file ${path}: ${(err as Error).message}`, { path });
  }
}

/** [height, width]: --size wins; else the declared fixed size; else the default. */
function inputSize(input: GraphImageInput, size: number | undefined): [number, number] {
  if (size !== undefined) {
    if (!Number.isInteger(size) || size < 16 || size > 4096) {
      throw new BackboneError('backbone_invalid_input', `--size must be an integer in [16, 4096], got ${size}`);
    }
    return [size, size];
  }
  const [, , h, w] = input.dims;
  return typeof h === 'number' && typeof w === 'number' ? [h, w] : [DEFAULT_INPUT_SIZE, DEFAULT_INPUT_SIZE];
}

interface ProbedValue {
  dims: number[];
  type: string;
}

/** Runs the network once (zero input) with `names` as its outputs and returns their shapes and types. */
async function probeValues(
  model: OnnxModel,
  input: GraphImageInput,
  names: string[],
  height: number,
  width: number,
  intraOpThreads: number,
  sizeGiven: boolean,
): Promise<Map<string, ProbedValue>> {
  const probe = buildProbeGraph(model, names).encode();
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(probe, { intraOpNumThreads: intraOpThreads, interOpNumThreads: 1, logSeverityLevel: 3 });
  } catch (err) {
    throw new BackboneError('backbone_load_failed', `ONNX Runtime cannot load the network: ${firstLine(err)}`);
  }
  try {
    const tensor = new Tensor('float32', new Float32Array(3 * height * width), [1, 3, height, width]);
    let results: InferenceSession.OnnxValueMapType;
    try {
      results = await session.run({ [input.name]: tensor });
    } catch (err) {
      const declared = input.dims.join(', ');
      throw new BackboneError(
        'backbone_invalid_input',
        `The network does not run on a ${width}x${height} input (declared [${declared}])` +
          `${sizeGiven ? '; try its declared size or another --size' : ''}: ${firstLine(err)}`,
      );
    }
    const out = new Map<string, ProbedValue>();
    for (const name of names) {
      const value = results[name];
      if (value) out.set(name, { dims: value.dims.map(Number), type: value.type });
    }
    return out;
  } finally {
    await session.release().catch(() => undefined);
  }
}

/**
 * Loads the built graph as the worker will and checks a forward on a textured image at the install size gives
 * finite features. Returns whether the graph also takes any input whose sides are multiples of the stride (fully
 * convolutional once pruned to the tapped layers): one more forward, in the same session, at a non-square size off
 * the install size must give the exact stride grid. A graph with a fixed shape on the way (a Reshape to constants, a
 * Flatten + Gemm) fails that and stays at its install size (letterbox sizing).
 */
async function checkFeatures(manifest: BackboneManifest, bytes: Uint8Array, intraOpThreads: number): Promise<boolean> {
  const backbone = await Backbone.open({ ...manifest, input: { ...manifest.input, resizable: true } }, bytes, { device: 'cpu', intraOpThreads });
  try {
    const { width, height } = manifest.input;
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        data[i] = (x * 255) / width;
        data[i + 1] = (y * 255) / height;
        data[i + 2] = ((x >> 3) + (y >> 3)) % 2 ? 220 : 30;
      }
    }
    const { features } = await backbone.extract({ data, width, height });
    const bad = features.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new BackboneError(
        'backbone_model_mismatch',
        `The features are not finite (${features[bad]} at element ${bad}); these tensors cannot be used as features`,
      );
    }
    const stride = manifest.patchStride;
    const probe = { width: width + 3 * stride, height: Math.max(2 * stride, height - 2 * stride) };
    try {
      // extract() itself refuses a grid other than the input over the stride.
      const other = await backbone.extract({ data: new Uint8Array(probe.width * probe.height * 3).fill(128), ...probe });
      return other.features.every(Number.isFinite);
    } catch {
      return false;
    }
  } finally {
    await backbone.release();
  }
}

type GraphFields = Pick<BackboneManifest, 'input' | 'outputs' | 'dim' | 'normalisation'>;

/**
 * The feature graph merged after the generated built-in graph (its values prefixed MERGED_NETWORK_PREFIX, its
 * input re-normalised in the graph) and the manifest fields of both: the built-in's input, its blocks and their
 * normalisation, then one block per layer at weight 1, floor 0.
 */
function besideBuiltin(feature: OnnxModel, network: GraphFields, patchStride: number): { graph: OnnxModel; fields: GraphFields } {
  const builtin = buildDefaultBackbone();
  const b = builtin.manifest;
  if (patchStride !== b.patchStride || network.input.colour !== b.input.colour) {
    throw new BackboneError(
      'backbone_invalid_input',
      `--with-builtin needs the finest layer at stride ${b.patchStride} (it is ${patchStride}) and ${b.input.colour} input`,
    );
  }
  const graph = mergeFeatureGraphs(OnnxModel.decode(builtin.model), feature, inputAdapter(b.input, network.input), MERGED_NETWORK_PREFIX);
  const norm = b.normalisation ?? { weights: b.outputs.map(() => 1), floors: b.outputs.map(() => 0), unitNorm: true };
  const added = network.outputs.length;
  return {
    graph,
    fields: {
      input: { ...b.input, width: network.input.width, height: network.input.height },
      outputs: [...b.outputs, ...network.outputs.map((o) => ({ ...o, name: `${MERGED_NETWORK_PREFIX}${o.name}` }))],
      dim: (b.dim ?? 0) + (network.dim ?? 0),
      normalisation: {
        weights: [...norm.weights, ...new Array<number>(added).fill(1)],
        floors: [...norm.floors, ...new Array<number>(added).fill(0)],
        unitNorm: norm.unitNorm,
      },
    },
  };
}

/** Per channel, the network's input tensor from the built-in's: both are (pixel · scale − mean) / std. */
function inputAdapter(from: BackboneInputSpec, to: BackboneInputSpec): InputAdapter {
  const channel = (c: number): [number, number] => {
    const ratio = to.scale / from.scale;
    return [(from.std[c] * ratio) / to.std[c], (from.mean[c] * ratio - to.mean[c]) / to.std[c]];
  };
  const [r, g, b] = [channel(0), channel(1), channel(2)];
  return { mul: [r[0], g[0], b[0]], add: [r[1], g[1], b[1]] };
}

function finestLayer(grids: Array<[number, number]>): number {
  let best = 0;
  for (const [i, [h, w]] of grids.entries()) if (h * w > grids[best][0] * grids[best][1]) best = i;
  return best;
}

function opName(domain: string | null | undefined, opType: string | null | undefined): string {
  return domain && domain !== 'ai.onnx' ? `${domain}:${opType}` : String(opType);
}

const SUM_OPS = new Set(['Add', 'Sum', 'com.microsoft:QLinearAdd']);
const ACTIVATION_OPS = new Set(['Relu', 'Clip', 'LeakyRelu', 'QuantizeLinear', 'DequantizeLinear']);

function isResidual(model: OnnxModel, name: string): boolean {
  const entry = model.producers.get(name);
  if (!entry) return false;
  const op = opName(entry.node.domain, entry.node.opType);
  if (SUM_OPS.has(op)) return true;
  if (!ACTIVATION_OPS.has(op)) return false;
  const from = model.producers.get((entry.node.input ?? [])[0] ?? '');
  return from !== undefined && SUM_OPS.has(opName(from.node.domain, from.node.opType));
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 400);
}
