// The built-in backbone: a deterministic, download-free feature extractor for industrial surfaces (grayscale
// tiles, metal, textures). Feature families on a stride-8 grid (224 px → 28×28; any input whose sides are multiples
// of 8), each a raw output (feature block); the manifest's normalisation weights them and applies noise floors, and
// a fitted model's detector profile (engine/profile) may re-weight them. Families, because no single one is robust:
// plain pixel patches win on some surfaces, oriented-filter energy on others (MTD); which ones count is chosen per
// recipe at fit time (engine/tuning).
//   pixel  – local mean-subtracted luminance patch (space-to-depth at half resolution): fine structure, contrast;
//   gabor  – quadrature Gabor magnitude, several orientations at two pyramid levels: texture direction/energy;
//   cnn    – seeded random 3-layer CNN on colour: generic local shape statistics (and colour defects);
//   tone   – cell brightness relative to the crop (and its 3×3-cell neighbourhood): shading, stains, uneven bands.
// The options are the experiment surface of bench/eval; keep their names stable.
import { createHash } from 'node:crypto';
import type { BackboneManifest } from './manifest';
import { BUILTIN_BACKBONE_NAME } from './manifest-location';
import { OnnxGraphBuilder } from './onnx-graph-builder';
import { createPrng, type Prng } from '../seeded-prng';

// 2: each family is its own raw output; weights and noise floors are applied after the backbone (profile/).
export const DEFAULT_BACKBONE_GENERATOR_VERSION = 2;
/** Fixed by the architecture: three stride-2 stages. */
export const DEFAULT_BACKBONE_PATCH_STRIDE = 8;

export interface PixelBranchOptions {
  /** Relative weight of the branch in the concatenation (0 removes it). */
  weight: number;
  /** Pyramid level the patches are read from: 0 = input, 1 = half resolution, 2 = quarter. */
  level: number;
  /** Extra pixels read on each side of the cell (overlap between neighbouring patches). */
  overlap: number;
  /** Per-element RMS below which a patch is damped instead of scaled up to unit norm (flat areas stay ~0). */
  floor: number;
}

export interface GaborBranchOptions {
  weight: number;
  orientations: number;
  /** Pyramid levels the same filter bank runs on (1 = half resolution, 2 = quarter): one scale each. */
  levels: number[];
  /** Wavelength in pixels of the level it runs on. */
  wavelength: number;
  kernelSize: number;
  /** Envelope aspect ratio (< 1 elongates along the stripes: line/scratch detectors). */
  aspect: number;
  floor: number;
}

export interface CnnBranchOptions {
  weight: number;
  /** Output channels of the three 3×3 stride-2 convolutions. */
  channels: [number, number, number];
  /** Colour input (true) or luminance replicated (false). */
  colour: boolean;
  floor: number;
}

export interface ToneBranchOptions {
  weight: number;
  /** Absolute norm floor: tone values are in units of the crop's own luminance spread (≈ N(0, 1) on a crop). */
  floor: number;
}

export interface DefaultBackboneOptions {
  seed: number;
  inputWidth: number;
  inputHeight: number;
  pixel: PixelBranchOptions;
  gabor: GaborBranchOptions;
  cnn: CnnBranchOptions;
  tone: ToneBranchOptions;
}

// Chosen by the MTD ablations in docs/quality.md: Gabor energy (8 orientations) carries the signal; equal-weight
// pixel and random-CNN branches drowned it in grain noise (0.586 image AUROC vs 0.905). A light pixel branch is
// kept because plain pixel patches won on other surfaces; the CNN branch stays available as an option.
export const DEFAULT_BACKBONE_OPTIONS: DefaultBackboneOptions = {
  seed: 20240601,
  inputWidth: 224,
  inputHeight: 224,
  pixel: { weight: 0.1, level: 1, overlap: 1, floor: 0.01 },
  gabor: { weight: 1, orientations: 8, levels: [1, 2], wavelength: 4, kernelSize: 9, aspect: 0.7, floor: 0.01 },
  cnn: { weight: 0, channels: [32, 64, 128], colour: true, floor: 0.001 },
  tone: { weight: 0.5, floor: 1 },
};

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends Array<unknown> ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

export function resolveDefaultBackboneOptions(overrides: DeepPartial<DefaultBackboneOptions> = {}): DefaultBackboneOptions {
  const d = DEFAULT_BACKBONE_OPTIONS;
  const options: DefaultBackboneOptions = {
    seed: overrides.seed ?? d.seed,
    inputWidth: overrides.inputWidth ?? d.inputWidth,
    inputHeight: overrides.inputHeight ?? d.inputHeight,
    pixel: { ...d.pixel, ...overrides.pixel },
    gabor: { ...d.gabor, ...overrides.gabor },
    cnn: { ...d.cnn, ...overrides.cnn },
    tone: { ...d.tone, ...overrides.tone },
  };
  validate(options);
  return options;
}

/** Manifest `version`: generator version + a hash of the options, so a changed design is regenerated. */
export function defaultBackboneVersion(options: DefaultBackboneOptions): string {
  const hash = createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 12);
  return `${DEFAULT_BACKBONE_GENERATOR_VERSION}-${hash}`;
}

export function defaultBackboneDim(o: DefaultBackboneOptions): number {
  const f = (level: number): number => DEFAULT_BACKBONE_PATCH_STRIDE >> level;
  const pixel = o.pixel.weight > 0 ? (f(o.pixel.level) + 2 * o.pixel.overlap) ** 2 : 0;
  const gabor = o.gabor.weight > 0 ? o.gabor.orientations * o.gabor.levels.length : 0;
  const cnn = o.cnn.weight > 0 ? o.cnn.channels[2] : 0;
  const tone = o.tone.weight > 0 ? TONE_CHANNELS : 0;
  return pixel + gabor + cnn + tone;
}

export function buildDefaultBackbone(
  overrides: DeepPartial<DefaultBackboneOptions> = {},
  name: string = BUILTIN_BACKBONE_NAME,
): { model: Uint8Array; manifest: BackboneManifest } {
  const o = resolveDefaultBackboneOptions(overrides);
  const rng = createPrng(o.seed);
  const g = new OnnxGraphBuilder('builtin_texture');
  // x in [0, 1] (the manifest scales by 1/255); all other normalisation lives in the graph.
  // Dynamic batch: a worker's batch task runs N crops in one session run (batching-session.ts).
  const x = g.input('image', ['batch', 3, 'height', 'width']);
  const luma = g.op('Conv', [x, g.floats('luma', [0.299, 0.587, 0.114], [1, 3, 1, 1])]);
  const toneLevel = 3; // one value per stride-8 cell
  const levels = [o.pixel.weight > 0 ? o.pixel.level : 0, ...(o.gabor.weight > 0 ? o.gabor.levels : []), ...(o.tone.weight > 0 ? [toneLevel] : [])];
  const pyramid = [luma];
  for (let level = 1; level <= Math.max(...levels); level++) {
    pyramid.push(g.op('AveragePool', [pyramid[level - 1]], { kernel_shape: [2, 2], strides: [2, 2] }));
  }

  // Each family is a raw output (a feature block); the manifest's normalisation applies the family's weight and
  // noise floor afterwards, so a fitted profile can re-weight families without another model.
  const branches: Array<{ name: string; value: string; channels: number; weight: number; floor: number }> = [];
  const blockOf = (name: string, value: string, channels: number, branch: { weight: number; floor: number }): void => {
    // floor is a per-element RMS in the options; the normalisation takes the absolute norm.
    branches.push({ name, value, channels, weight: branch.weight, floor: branch.floor * Math.sqrt(channels) });
  };
  if (o.pixel.weight > 0) blockOf('pixel', pixelBranch(g, pyramid, o.pixel), pixelChannels(o.pixel), o.pixel);
  if (o.gabor.weight > 0) blockOf('gabor', gaborBranch(g, pyramid, o.gabor), o.gabor.orientations * o.gabor.levels.length, o.gabor);
  if (o.cnn.weight > 0) blockOf('cnn', cnnBranch(g, rng, x, luma, o.cnn), o.cnn.channels[2], o.cnn);
  if (o.tone.weight > 0) branches.push({ name: 'tone', value: toneBranch(g, luma, pyramid[toneLevel]), channels: TONE_CHANNELS, weight: o.tone.weight, floor: o.tone.floor });
  for (const branch of branches) {
    g.op('Identity', [branch.value], {}, [branch.name]);
    g.output(branch.name, ['batch', branch.channels, 'grid_h', 'grid_w']);
  }
  const dim = defaultBackboneDim(o);

  const manifest: BackboneManifest = {
    name,
    version: defaultBackboneVersion(o),
    description:
      'Built-in texture backbone (generated, no download): pixel-patch, Gabor-energy and random-CNN feature ' +
      'blocks, stride 8, any input size.',
    model: 'model.onnx',
    input: {
      name: 'image',
      width: o.inputWidth,
      height: o.inputHeight,
      layout: 'NCHW',
      colour: 'RGB',
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      resizable: true,
    },
    patchStride: DEFAULT_BACKBONE_PATCH_STRIDE,
    dim,
    outputs: branches.map((b) => ({ name: b.name, layout: 'nchw' as const })),
    combine: { mode: 'concat', grid: 'first', neighbourhoodAverage: 1 },
    normalisation: { weights: branches.map((b) => b.weight), floors: branches.map((b) => b.floor), unitNorm: true },
    generator: { script: 'scripts/generate-default-backbone.ts', options: o },
  };
  return { model: g.build(`${name} ${manifest.version}`), manifest };
}

function reflectPad(g: OnnxGraphBuilder, x: string, pad: number): string {
  if (pad === 0) return x;
  return g.op('Pad', [x, g.int64s('pads', [0, 0, pad, pad, 0, 0, pad, pad])], { mode: 'reflect' });
}

function pixelBranch(g: OnnxGraphBuilder, pyramid: string[], o: PixelBranchOptions): string {
  const f = DEFAULT_BACKBONE_PATCH_STRIDE >> o.level;
  const k = f + 2 * o.overlap;
  const n = k * k;
  // Space-to-depth and mean subtraction folded into one convolution: row i of (I − 1/n).
  const weights = new Float32Array(n * n);
  for (let out = 0; out < n; out++) for (let i = 0; i < n; i++) weights[out * n + i] = (out === i ? 1 : 0) - 1 / n;
  const patches = g.op('Conv', [reflectPad(g, pyramid[o.level], o.overlap), g.floats('s2d', weights, [n, 1, k, k])], {
    kernel_shape: [k, k],
    strides: [f, f],
  });
  return patches;
}

const TONE_CHANNELS = 2;

/**
 * Brightness relative to the crop: the cell's mean luminance and its 3×3-cell neighbourhood mean, minus the crop's
 * mean, over the crop's luminance spread. Every other family is blind to slow brightness changes (pixel patches are
 * mean-subtracted, Gabor filters are band-pass): uneven shading, stains, discolouration.
 */
function toneBranch(g: OnnxGraphBuilder, luma: string, cells: string): string {
  const mean = g.op('ReduceMean', [luma], { axes: [2, 3], keepdims: 1 });
  const centred = g.op('Sub', [luma, mean]);
  const spread = g.op('Sqrt', [g.op('Add', [g.op('ReduceMean', [g.op('Mul', [centred, centred])], { axes: [2, 3], keepdims: 1 }), g.floats('spread_eps', [1e-4], [])])]);
  const local = g.op('Div', [g.op('Sub', [cells, mean]), spread]);
  const neighbourhood = g.op('AveragePool', [local], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 0 });
  return g.op('Concat', [local, neighbourhood], { axis: 1 });
}

function pixelChannels(o: PixelBranchOptions): number {
  return ((DEFAULT_BACKBONE_PATCH_STRIDE >> o.level) + 2 * o.overlap) ** 2;
}

function gaborBranch(g: OnnxGraphBuilder, pyramid: string[], o: GaborBranchOptions): string {
  const n = o.orientations;
  const k = o.kernelSize;
  const bank = gaborBank(n, k, o.wavelength, o.aspect);
  // Sums (even², odd²) pairs: 2n responses → n energies.
  const pairSum = new Float32Array(n * 2 * n);
  for (let i = 0; i < n; i++) {
    pairSum[i * 2 * n + i] = 1;
    pairSum[i * 2 * n + n + i] = 1;
  }
  const energies = o.levels.map((level) => {
    const responses = g.op('Conv', [reflectPad(g, pyramid[level], k >> 1), g.floats('gabor', bank, [2 * n, 1, k, k])]);
    const energy = g.op('Conv', [g.op('Mul', [responses, responses]), g.floats('pairs', pairSum, [n, 2 * n, 1, 1])]);
    const magnitude = g.op('Sqrt', [g.op('Add', [energy, g.floats('tiny', [1e-12], [])])]);
    // Average over the cell plus a one-pixel margin; output is exactly input / 8 for multiples of 8.
    const f = DEFAULT_BACKBONE_PATCH_STRIDE >> level;
    return g.op('AveragePool', [magnitude], { kernel_shape: [f + 2, f + 2], strides: [f, f], pads: [1, 1, 1, 1] });
  });
  return energies.length === 1 ? energies[0] : g.op('Concat', energies, { axis: 1 });
}

/** [2n, 1, k, k]: n even (cosine) filters, then n odd (sine) ones; zero mean, unit L2 norm. */
function gaborBank(n: number, k: number, wavelength: number, aspect: number): Float32Array {
  const sigma = 0.56 * wavelength; // one-octave bandwidth
  const r = k >> 1;
  const bank = new Float32Array(2 * n * k * k);
  for (let o = 0; o < n; o++) {
    const theta = (Math.PI * o) / n;
    for (const [part, phase] of [[0, 0], [1, Math.PI / 2]] as const) {
      const kernel = new Float32Array(k * k);
      for (let y = -r; y <= r; y++) {
        for (let x = -r; x <= r; x++) {
          const xr = x * Math.cos(theta) + y * Math.sin(theta);
          const yr = -x * Math.sin(theta) + y * Math.cos(theta);
          const envelope = Math.exp(-(xr * xr + aspect * aspect * yr * yr) / (2 * sigma * sigma));
          kernel[(y + r) * k + (x + r)] = envelope * Math.cos((2 * Math.PI * xr) / wavelength - phase);
        }
      }
      const mean = kernel.reduce((a, b) => a + b, 0) / kernel.length;
      let norm = 0;
      for (let i = 0; i < kernel.length; i++) {
        kernel[i] -= mean;
        norm += kernel[i] * kernel[i];
      }
      norm = Math.sqrt(norm);
      for (let i = 0; i < kernel.length; i++) kernel[i] /= norm;
      bank.set(kernel, (part * n + o) * k * k);
    }
  }
  return bank;
}

function cnnBranch(
  g: OnnxGraphBuilder,
  rng: Prng,
  x: string,
  luma: string,
  o: CnnBranchOptions,
): string {
  // Centre the input around 0 with unit-ish spread so random ReLU units are half active.
  let h = o.colour ? x : g.op('Concat', [luma, luma, luma], { axis: 1 });
  h = g.op('Mul', [g.op('Sub', [h, g.floats('mid', [0.5], [])]), g.floats('spread', [4], [])]);
  let inChannels = 3;
  o.channels.forEach((outChannels, layer) => {
    const fanIn = inChannels * 9;
    const w = rng.normals(outChannels * fanIn, Math.sqrt(2 / fanIn)); // He initialisation
    if (layer === 0) {
      // Zero-mean first-layer kernels: invariant to a global brightness offset, still sensitive to colour.
      for (let c = 0; c < outChannels; c++) {
        const kernel = w.subarray(c * fanIn, (c + 1) * fanIn);
        const mean = kernel.reduce((a, b) => a + b, 0) / fanIn;
        for (let i = 0; i < fanIn; i++) kernel[i] -= mean;
      }
    }
    h = g.op('Relu', [
      g.op('Conv', [h, g.floats('cnn_w', w, [outChannels, inChannels, 3, 3])], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      }),
    ]);
    inChannels = outChannels;
  });
  return h;
}

function validate(o: DefaultBackboneOptions): void {
  const fail = (problem: string): never => {
    throw new Error(`default backbone options: ${problem}`);
  };
  for (const [key, size] of [['inputWidth', o.inputWidth], ['inputHeight', o.inputHeight]] as const) {
    if (!Number.isInteger(size) || size < 16 || size % DEFAULT_BACKBONE_PATCH_STRIDE !== 0) {
      fail(`${key} must be a multiple of ${DEFAULT_BACKBONE_PATCH_STRIDE} and at least 16`);
    }
  }
  if (o.pixel.weight <= 0 && o.gabor.weight <= 0 && o.cnn.weight <= 0) fail('at least one branch needs a weight > 0');
  if (![0, 1, 2].includes(o.pixel.level)) fail('pixel.level must be 0, 1 or 2');
  if (!Number.isInteger(o.pixel.overlap) || o.pixel.overlap < 0 || o.pixel.overlap > 4) fail('pixel.overlap must be 0..4');
  if (o.gabor.levels.length === 0 || o.gabor.levels.some((l) => ![0, 1, 2, 3].includes(l))) fail('gabor.levels must be in 0..3');
  if (!Number.isInteger(o.gabor.orientations) || o.gabor.orientations < 1) fail('gabor.orientations must be >= 1');
  if (o.gabor.kernelSize % 2 !== 1) fail('gabor.kernelSize must be odd');
  if (o.cnn.channels.length !== 3 || o.cnn.channels.some((c) => !Number.isInteger(c) || c < 1)) {
    fail('cnn.channels must be three positive integers');
  }
}
