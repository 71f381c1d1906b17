// A DINOv2-shaped Vision Transformer as an ONNX graph with random weights, for tests and benchmarks.
// Same interface as the Hugging Face / our timm export: input `pixel_values` [1, 3, H, W] with dynamic H and W,
// patch-embed Conv(stride = patch), position embedding bicubically resized to the token grid inside the graph,
// CLS (+ registers) prepended, pre-norm blocks; outputs `last_hidden_state` or the raw outputs of chosen blocks.
import { OnnxGraphBuilder } from '../onnx-graph-builder';
import { createPrng, type Prng } from '../../seeded-prng';

export interface VitGraphOptions {
  dim: number;
  depth: number;
  heads: number;
  patch: number;
  /** Register tokens after CLS (DINOv2-with-registers); 0 for the original DINOv2. */
  registers: number;
  mlpRatio: number;
  /** Side of the stored position-embedding grid (37 for DINOv2 at 518 px); resized to the input grid in-graph. */
  posGrid: number;
  positionEmbedding: boolean;
  /** false: token-wise MLP blocks only (tokens stay independent, which makes grid tests exact). */
  attention: boolean;
  outputs: 'last_hidden_state' | 'blocks';
  /** For outputs 'blocks': 0-based block indices, each exported as `block<i>`. */
  blockIndices: number[];
  /** When set, CLS and register tokens are filled with this value instead of random numbers. */
  prefixValue?: number;
  weightStd: number;
  layerScale: number;
  seed: number;
}

export function vitOutputNames(options: Pick<VitGraphOptions, 'outputs' | 'blockIndices'>): string[] {
  return options.outputs === 'last_hidden_state' ? ['last_hidden_state'] : options.blockIndices.map((i) => `block${i}`);
}

export function buildVitGraph(options: VitGraphOptions): Uint8Array {
  const { dim: D, patch: P, heads } = options;
  if (D % heads !== 0) throw new Error(`dim ${D} is not divisible by heads ${heads}`);
  const last = Math.max(...(options.outputs === 'blocks' ? options.blockIndices : [options.depth - 1]));
  if (last >= options.depth) throw new Error(`block index ${last} >= depth ${options.depth}`);
  const rng = createPrng(options.seed);
  const g = new OnnxGraphBuilder('vit');
  const std = options.weightStd;

  const pixels = g.input('pixel_values', [1, 3, 'height', 'width']);
  let grid = g.op('Conv', [pixels, g.floats('patch_w', rng.normals(D * 3 * P * P, std), [D, 3, P, P]), g.floats('patch_b', rng.normals(D, std), [D])], {
    kernel_shape: [P, P],
    strides: [P, P],
  });
  if (options.positionEmbedding) {
    const G = options.posGrid;
    const pos = g.floats('pos_embed', rng.normals(D * G * G, std), [1, D, G, G]);
    const hw = g.op('Shape', [grid], { start: 2, end: 4 });
    const sizes = g.op('Concat', [g.int64s('nd', [1, D]), hw], { axis: 0 });
    // Bicubic, half-pixel, a = -0.75: what DINOv2 does with F.interpolate(mode='bicubic', align_corners=False).
    const resized = g.op('Resize', [pos, '', '', sizes], {
      mode: 'cubic',
      coordinate_transformation_mode: 'half_pixel',
      cubic_coeff_a: -0.75,
    });
    grid = g.op('Add', [grid, resized]);
  }
  const flat = g.op('Reshape', [grid, g.int64s('shape', [1, D, -1])]);
  const tokens = g.op('Transpose', [flat], { perm: [0, 2, 1] });
  const prefixCount = 1 + options.registers;
  const prefixValues =
    options.prefixValue === undefined ? rng.normals(prefixCount * D, std) : new Float32Array(prefixCount * D).fill(options.prefixValue);
  let x = g.op('Concat', [g.floats('cls_reg', prefixValues, [1, prefixCount, D]), tokens], { axis: 1 });

  const outputs = new Set(options.outputs === 'blocks' ? options.blockIndices : []);
  for (let b = 0; b <= last; b++) {
    if (options.attention) x = g.op('Add', [x, attention(g, rng, x, options)]);
    x = g.op('Add', [x, mlp(g, rng, x, options)]);
    if (outputs.has(b)) {
      g.op('Identity', [x], {}, [`block${b}`]);
      g.output(`block${b}`, [1, 'tokens', D]);
    }
  }
  if (options.outputs === 'last_hidden_state') {
    layerNorm(g, x, D, ['last_hidden_state']);
    g.output('last_hidden_state', [1, 'tokens', D]);
  }
  return g.build(`random ViT dim=${D} depth=${options.depth} patch=${P} seed=${options.seed}`);
}

function layerNorm(g: OnnxGraphBuilder, x: string, D: number, outputs?: string[]): string {
  const gamma = g.floats('ln_g', new Float32Array(D).fill(1), [D]);
  const beta = g.floats('ln_b', new Float32Array(D), [D]);
  return g.op('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: 1e-6 }, outputs);
}

function linear(g: OnnxGraphBuilder, rng: Prng, x: string, inDim: number, outDim: number, std: number): string {
  const w = g.floats('w', rng.normals(inDim * outDim, std), [inDim, outDim]);
  const b = g.floats('b', rng.normals(outDim, std), [outDim]);
  return g.op('Add', [g.op('MatMul', [x, w]), b]);
}

function attention(g: OnnxGraphBuilder, rng: Prng, x: string, o: VitGraphOptions): string {
  const D = o.dim;
  const hd = D / o.heads;
  const h = layerNorm(g, x, D);
  const split = g.int64s('heads', [1, -1, o.heads, hd]);
  const q = g.op('Transpose', [g.op('Reshape', [linear(g, rng, h, D, D, o.weightStd), split])], { perm: [0, 2, 1, 3] });
  const kT = g.op('Transpose', [g.op('Reshape', [linear(g, rng, h, D, D, o.weightStd), split])], { perm: [0, 2, 3, 1] });
  const v = g.op('Transpose', [g.op('Reshape', [linear(g, rng, h, D, D, o.weightStd), split])], { perm: [0, 2, 1, 3] });
  const logits = g.op('Mul', [g.op('MatMul', [q, kT]), g.floats('scale', [1 / Math.sqrt(hd)], [])]);
  const mixed = g.op('MatMul', [g.op('Softmax', [logits], { axis: -1 }), v]);
  const merged = g.op('Reshape', [g.op('Transpose', [mixed], { perm: [0, 2, 1, 3] }), g.int64s('merge', [1, -1, D])]);
  const projected = linear(g, rng, merged, D, D, o.weightStd);
  return g.op('Mul', [projected, g.floats('ls', new Float32Array(D).fill(o.layerScale), [D])]);
}

function mlp(g: OnnxGraphBuilder, rng: Prng, x: string, o: VitGraphOptions): string {
  const D = o.dim;
  const hidden = D * o.mlpRatio;
  const h = linear(g, rng, layerNorm(g, x, D), D, hidden, o.weightStd);
  // GELU(x) = x/2 · (1 + erf(x/√2)); opset 17 has no Gelu op.
  const erf = g.op('Erf', [g.op('Mul', [h, g.floats('inv_sqrt2', [Math.SQRT1_2], [])])]);
  const gelu = g.op('Mul', [g.op('Mul', [h, g.floats('half', [0.5], [])]), g.op('Add', [erf, g.floats('one', [1], [])])]);
  const out = linear(g, rng, gelu, hidden, D, o.weightStd);
  return g.op('Mul', [out, g.floats('ls', new Float32Array(D).fill(o.layerScale), [D])]);
}
