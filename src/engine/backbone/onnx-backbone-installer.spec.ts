import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Backbone } from './backbone';
import { BackboneError } from './backbone-error';
import { buildDefaultBackbone } from './default-backbone';
import { nchwToMap } from './feature-map';
import { OnnxModel } from './graph-surgery';
import { toInputTensor } from './input-tensor';
import { combineLayers } from './layer-combination';
import { resolveBackboneManifest } from './manifest-location';
import { installOnnxBackbone, listFeatureTensors, type OnnxInstallOptions } from './onnx-backbone-installer';
import { OnnxGraphBuilder } from './onnx-graph-builder';

// A small network with named internal values, in the shape of a quantised CNN:
//   image [1,3,H,W] → Conv s2 → "stem" → Relu → "stem_relu" (float, stride 2)
//   → QuantizeLinear (0.05, 10) → QLinearConv s2 (y: scale 0.1, zero point 128) → "stage2_quantized" (uint8, stride 4)
//   → QLinearAdd with itself (C: scale 0.2, zero point 100) → "stage2_sum_quantized" (uint8, a residual-style sum)
//   "stage2_quantized" → MaxPool → "stage2_pooled" (uint8, keeps the QLinearConv's quantisation)
//   outputs: "logits" (mean of the dequantised sum) and "nan_map" = sqrt(stem − 1000) (NaN everywhere).
function quantisedNet(inputDims: Array<number | string> = [1, 3, 'h', 'w']): Uint8Array {
  const g = new OnnxGraphBuilder('quantised_net', { opset: 13, domains: [{ domain: 'com.microsoft', version: 1 }] });
  const x = g.input('image', inputDims);
  const stemW = Float32Array.from({ length: 4 * 3 * 9 }, (_, i) => Math.sin(i * 1.3) * 0.5);
  g.op('Conv', [x, g.floats('stem_w', stemW, [4, 3, 3, 3])], { strides: [2, 2], pads: [1, 1, 1, 1] }, ['stem']);
  g.op('Relu', ['stem'], {}, ['stem_relu']);
  const inScale = g.floats('in_scale', [0.05], []);
  const inZp = g.bytes('in_zp', 'uint8', [10], []);
  const q = g.op('QuantizeLinear', ['stem_relu', inScale, inZp]);
  const w = Array.from({ length: 6 * 4 * 9 }, (_, i) => ((i * 37) % 51) - 25);
  const yScale = g.floats('y_scale', [0.1], []);
  const yZp = g.bytes('y_zp', 'uint8', [128], []);
  g.op(
    'QLinearConv',
    [q, inScale, inZp, g.bytes('w', 'int8', w, [6, 4, 3, 3]), g.floats('w_scale', [0.02], []), g.bytes('w_zp', 'int8', [0], []), yScale, yZp],
    { strides: [2, 2], pads: [1, 1, 1, 1] },
    ['stage2_quantized'],
  );
  const sumScale = g.floats('sum_scale', [0.2], []);
  const sumZp = g.bytes('sum_zp', 'uint8', [100], []);
  g.op('QLinearAdd', ['stage2_quantized', yScale, yZp, 'stage2_quantized', yScale, yZp, sumScale, sumZp], {}, ['stage2_sum_quantized'], 'com.microsoft');
  g.op('MaxPool', ['stage2_quantized'], { kernel_shape: [2, 2], strides: [2, 2] }, ['stage2_pooled']);
  const sum = g.op('DequantizeLinear', ['stage2_sum_quantized', sumScale, sumZp]);
  g.op('ReduceMean', [sum], { axes: [1, 2, 3], keepdims: 1 }, ['logits']);
  g.op('Sqrt', [g.op('Sub', ['stem', g.floats('big', [1000], [])])], {}, ['nan_map']);
  g.output('logits', [1, 1, 1, 1]);
  g.output('nan_map', [1, 4, 'h2', 'w2']);
  return g.build();
}

/** Runs the original network with extra internal values as outputs (the independent reference). */
async function runOriginal(model: Uint8Array, input: Float32Array, size: number, names: string[]): Promise<Record<string, Tensor>> {
  const proto = onnx.ModelProto.decode(model);
  proto.graph!.output!.push(...names.map((name) => ({ name })));
  const session = await InferenceSession.create(onnx.ModelProto.encode(proto).finish());
  try {
    return (await session.run({ image: new Tensor('float32', input, [1, 3, size, size]) })) as Record<string, Tensor>;
  } finally {
    await session.release();
  }
}

function patternImage(size: number): { data: Uint8Array; width: number; height: number } {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + (i >> 5) * 13) % 251;
  return { data, width: size, height: size };
}

describe('installOnnxBackbone (any ONNX network by internal tensor names)', () => {
  let dir: string;
  let modelPath: string;
  const base = (overrides: Partial<OnnxInstallOptions> = {}): OnnxInstallOptions => ({
    onnxPath: modelPath,
    name: 'tiny',
    layers: ['stem_relu', 'stage2_sum_quantized'],
    modelsDir: join(dir, 'models'),
    size: 16,
    scale: 1 / 255,
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
    intraOpThreads: 1,
    ...overrides,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onnx-install-'));
    modelPath = join(dir, 'net.onnx');
    writeFileSync(modelPath, quantisedNet());
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the scale and zero point of QOperator outputs, also through MaxPool', () => {
    const model = OnnxModel.decode(quantisedNet());
    const conv = model.quantizationOf('stage2_quantized')!;
    const add = model.quantizationOf('stage2_sum_quantized')!;
    const pooled = model.quantizationOf('stage2_pooled')!;
    expect(conv.producer).toBe('QLinearConv');
    expect(add.producer).toBe('com.microsoft:QLinearAdd');
    expect(pooled.scale).toBe(conv.scale);
    expect(pooled.zeroPoint).toBe(conv.zeroPoint);
    expect(conv.scale).not.toBe(add.scale);
    expect(model.quantizationOf('stem_relu')).toBeNull();
  });

  it('dequantises an int8 value in the graph to scale × (q − zero point)', async () => {
    const result = await installOnnxBackbone(base({ layers: ['stage2_sum_quantized'], neighbourhood: 1 }));
    expect(result.layers).toEqual([{ name: 'stage2_sum_quantized', dtype: 'uint8', shape: [6, 4, 4], dequantisedBy: 'com.microsoft:QLinearAdd' }]);
    const input = toInputTensor(patternImage(16), result.manifest.input);
    const original = await runOriginal(quantisedNet(), input, 16, ['stage2_sum_quantized']);
    const q = original.stage2_sum_quantized.data as Uint8Array;
    expect(original.stage2_sum_quantized.type).toBe('uint8');

    const installed = await InferenceSession.create(join(result.directory, 'model.onnx'));
    const out = await installed.run({ image: new Tensor('float32', input, [1, 3, 16, 16]) });
    await installed.release();
    expect(Object.keys(out)).toEqual(['stage2_sum_quantized.patch']);
    const features = out['stage2_sum_quantized.patch'];
    expect(features.type).toBe('float32');
    expect(features.dims).toEqual([1, 6, 4, 4]);
    const values = features.data as Float32Array;
    expect(new Set(q).size).toBeGreaterThan(3); // a real spread of quantised levels, not a constant
    for (let i = 0; i < q.length; i++) expect(values[i]).toBeCloseTo(0.2 * (q[i] - 100), 5);
  });

  it('installs a backbone whose features equal PatchCore 3×3 averaging, resize and concat of the layers', async () => {
    const result = await installOnnxBackbone(base());
    const m = result.manifest;
    expect([m.patchStride, m.dim, m.input.width, m.input.height]).toEqual([2, 4 + 6, 16, 16]);
    expect(result.combinedInGraph).toBe(true);

    const backbone = await Backbone.load(resolveBackboneManifest(join(dir, 'models'), 'tiny'), { device: 'cpu', intraOpThreads: 1 });
    const image = patternImage(16);
    const features = await backbone.extract(image);
    await backbone.release();
    expect([features.gridH, features.gridW, features.dim]).toEqual([8, 8, 10]);

    // Reference: the raw values of the original network, dequantised here, combined by the worker's own JS path.
    const original = await runOriginal(quantisedNet(), toInputTensor(image, m.input), 16, ['stem_relu', 'stage2_sum_quantized']);
    const q = original.stage2_sum_quantized;
    const dequantised = Float32Array.from(q.data as Uint8Array, (v) => 0.2 * (v - 100));
    const expected = combineLayers(
      [nchwToMap('stem_relu', original.stem_relu.data as Float32Array, original.stem_relu.dims), nchwToMap('sum', dequantised, q.dims)],
      { mode: 'concat', grid: 'finest', neighbourhoodAverage: 3 },
    );
    expect(features.features.length).toBe(expected.data.length);
    let maxDiff = 0;
    for (let i = 0; i < expected.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(features.features[i] - expected.data[i]));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('prunes what the features do not need', async () => {
    const result = await installOnnxBackbone(base({ layers: ['stem_relu'] }));
    const installed = OnnxModel.decode(readFileSync(join(result.directory, 'model.onnx')));
    const ops = (installed.graph.node ?? []).map((n) => n.opType);
    expect(ops).not.toContain('QLinearConv');
    expect(ops).not.toContain('ReduceMean');
    expect((installed.graph.output ?? []).map((o) => o.name)).toEqual(['stem_relu.patch']);
  });

  it('runs at another --size when the network allows it', async () => {
    const result = await installOnnxBackbone(base({ size: 32 }));
    expect([result.manifest.input.width, result.manifest.patchStride]).toEqual([32, 2]);
    expect(result.layers.map((l) => l.shape)).toEqual([[4, 16, 16], [6, 8, 8]]);
  });

  it('marks a graph that runs at any multiple of the stride resizable, with the exact grid there', async () => {
    const result = await installOnnxBackbone(base());
    expect(result.resizable).toBe(true);
    expect(result.manifest.input.resizable).toBe(true);
    const backbone = await Backbone.load(resolveBackboneManifest(join(dir, 'models'), 'tiny'), { device: 'cpu', intraOpThreads: 1 });
    const features = await backbone.extract({ data: new Uint8Array(22 * 12 * 3).fill(90), width: 22, height: 12 });
    await backbone.release();
    expect([features.gridH, features.gridW, features.dim]).toEqual([6, 11, 10]);
  });

  it('keeps a graph with a fixed shape on the way at its install size', async () => {
    // image → Conv s2 → Reshape to the constant [1, 4, 8, 8] → Relu: runs at 16×16 only.
    const g = new OnnxGraphBuilder('fixed_net', { opset: 13 });
    const x = g.input('image', [1, 3, 'h', 'w']);
    const w = Float32Array.from({ length: 4 * 3 * 9 }, (_, i) => Math.cos(i * 0.7) * 0.3);
    const stem = g.op('Conv', [x, g.floats('w', w, [4, 3, 3, 3])], { strides: [2, 2], pads: [1, 1, 1, 1] });
    const fixed = g.op('Reshape', [stem, g.int64s('shape', [1, 4, 8, 8], [4])]);
    g.op('Relu', [fixed], {}, ['fixed_relu']);
    g.output('fixed_relu', [1, 4, 8, 8]);
    writeFileSync(modelPath, g.build());
    const result = await installOnnxBackbone(base({ layers: ['fixed_relu'] }));
    expect(result.resizable).toBe(false);
    expect(result.manifest.input.resizable).toBeUndefined();
    expect([result.manifest.input.width, result.manifest.patchStride]).toEqual([16, 2]);
  });

  it('installs a network beside the built-in blocks as one graph, each half exactly as it computes alone', async () => {
    // stage2_pooled is at stride 8, as the built-in; size 32 gives a 4×4 grid. The two inputs normalise differently
    // (built-in: x/255; this net: (x/255 − 0.5)/0.25), which the merged graph's input adapter must reproduce.
    const merged = await installOnnxBackbone(base({ name: 'both', layers: ['stage2_pooled'], size: 32, withBuiltin: true }));
    const alone = await installOnnxBackbone(base({ name: 'alone', layers: ['stage2_pooled'], size: 32 }));
    const builtin = buildDefaultBackbone();
    const builtinDim = builtin.manifest.dim!;
    expect(merged.manifest.outputs.map((o) => o.name)).toEqual([...builtin.manifest.outputs.map((o) => o.name), 'net/stage2_pooled.patch']);
    expect(merged.manifest.dim).toBe(builtinDim + 6);
    expect(merged.manifest.normalisation).toEqual({
      weights: [...builtin.manifest.normalisation!.weights, 1],
      floors: [...builtin.manifest.normalisation!.floors, 0],
      unitNorm: true,
    });
    expect(merged.manifest.input).toMatchObject({ scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], width: 32, height: 32, resizable: true });

    const image = patternImage(32);
    const run = async (backbone: Backbone): Promise<Float32Array> => {
      const features = (await backbone.extract(image)).features;
      await backbone.release();
      return features;
    };
    const both = await run(await Backbone.load(resolveBackboneManifest(join(dir, 'models'), 'both'), { device: 'cpu', intraOpThreads: 1 }));
    const net = await run(await Backbone.load(resolveBackboneManifest(join(dir, 'models'), 'alone'), { device: 'cpu', intraOpThreads: 1 }));
    const texture = await run(await Backbone.open(builtin.manifest, builtin.model, { device: 'cpu', intraOpThreads: 1 }));
    const cells = 16;
    let maxDiff = 0;
    for (let cell = 0; cell < cells; cell++) {
      const row = both.subarray(cell * (builtinDim + 6), (cell + 1) * (builtinDim + 6));
      for (let c = 0; c < builtinDim; c++) maxDiff = Math.max(maxDiff, Math.abs(row[c] - texture[cell * builtinDim + c]));
      for (let c = 0; c < 6; c++) maxDiff = Math.max(maxDiff, Math.abs(row[builtinDim + c] - net[cell * 6 + c]));
    }
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('refuses to merge with the built-in blocks at another stride', async () => {
    await expect(installOnnxBackbone(base({ withBuiltin: true }))).rejects.toMatchObject({
      code: 'backbone_invalid_input',
      message: expect.stringContaining('stride 8 (it is 2)'),
    });
    expect(existsSync(join(dir, 'models', 'backbones', 'tiny'))).toBe(false);
  });

  it('rejects a size that is not a multiple of the finest stride', async () => {
    await expect(installOnnxBackbone(base({ size: 17 }))).rejects.toMatchObject({
      code: 'backbone_invalid_input',
      message: expect.stringContaining('multiple of 2'),
    });
  });

  it('names close candidates for an unknown tensor', async () => {
    const error = (await installOnnxBackbone(base({ layers: ['stem_relu', 'stage2_quantised'] })).catch((e) => e)) as BackboneError;
    expect(error).toBeInstanceOf(BackboneError);
    expect(error.code).toBe('backbone_unknown_tensor');
    expect(error.message).toContain('"stage2_quantised" is not a value of this graph');
    expect((error.details as { candidates: string[] }).candidates[0]).toBe('stage2_quantized');
  });

  it('rejects a constant named as a layer', async () => {
    await expect(installOnnxBackbone(base({ layers: ['stem_w_1'] }))).rejects.toMatchObject({
      code: 'backbone_unknown_tensor',
      message: expect.stringContaining('is a constant'),
    });
  });

  it('rejects a network whose input is not an RGB image', async () => {
    writeFileSync(modelPath, quantisedNetWithGreyInput());
    await expect(installOnnxBackbone(base())).rejects.toMatchObject({ code: 'backbone_invalid_input', message: expect.stringContaining('[N, 3, H, W]') });
  });

  it('refuses to replace an installed backbone without force, and replaces it with force', async () => {
    await installOnnxBackbone(base({ layers: ['stem_relu'] }));
    await expect(installOnnxBackbone(base())).rejects.toMatchObject({ code: 'backbone_exists' });
    const replaced = await installOnnxBackbone(base({ force: true }));
    const manifest = JSON.parse(readFileSync(join(replaced.directory, 'backbone.json'), 'utf8')) as { dim: number };
    expect(manifest.dim).toBe(10);
  });

  it('leaves nothing behind when the check fails (non-finite features)', async () => {
    await expect(installOnnxBackbone(base({ layers: ['nan_map'] }))).rejects.toMatchObject({
      code: 'backbone_model_mismatch',
      message: expect.stringContaining('not finite'),
    });
    const backbones = join(dir, 'models', 'backbones');
    expect(existsSync(backbones) ? readdirSync(backbones) : []).toEqual([]);
  });

  it('keeps the installed backbone intact when a forced replacement fails', async () => {
    const first = await installOnnxBackbone(base());
    const before = readFileSync(join(first.directory, 'backbone.json'), 'utf8');
    await expect(installOnnxBackbone(base({ layers: ['nan_map'], force: true }))).rejects.toThrow(BackboneError);
    expect(readFileSync(join(first.directory, 'backbone.json'), 'utf8')).toBe(before);
    expect(readdirSync(join(dir, 'models', 'backbones'))).toEqual(['tiny']);
  });

  it('lets the worker resize and average for networks older than opset 11', async () => {
    writeFileSync(modelPath, floatNetOpset10());
    const result = await installOnnxBackbone(base({ layers: ['fine', 'coarse'] }));
    expect(result.combinedInGraph).toBe(false);
    expect(result.manifest.combine).toEqual({ mode: 'concat', grid: 'finest', neighbourhoodAverage: 3 });
    const backbone = await Backbone.load(join(result.directory, 'backbone.json'), { device: 'cpu', intraOpThreads: 1 });
    const features = await backbone.extract(patternImage(16));
    await backbone.release();
    expect([features.gridH, features.gridW, features.dim]).toEqual([8, 8, 5]);
  });

  it('lists feature-map tensors with shapes, strides, quantisation and a layer2/layer3-style suggestion', async () => {
    const listing = await listFeatureTensors(modelPath, 32, 1);
    const byName = new Map(listing.candidates.map((c) => [c.name, c]));
    expect(byName.get('stem_relu')).toMatchObject({ shape: [4, 16, 16], stride: 2, dtype: 'float32', quantized: false });
    expect(byName.get('stage2_sum_quantized')).toMatchObject({
      shape: [6, 8, 8],
      stride: 4,
      dtype: 'uint8',
      quantized: true,
      residual: true,
      op: 'com.microsoft:QLinearAdd',
    });
    expect(byName.has('logits')).toBe(false); // 1×1: not a feature map
    expect(listing.suggested).toEqual([]); // no stride 8/16 values in this tiny net
  });
});

function quantisedNetWithGreyInput(): Uint8Array {
  const g = new OnnxGraphBuilder('grey');
  const x = g.input('image', [1, 1, 16, 16]);
  g.op('Relu', [x], {}, ['stem_relu']);
  g.op('Relu', ['stem_relu'], {}, ['stage2_sum_quantized']);
  g.output('stage2_sum_quantized', [1, 1, 16, 16]);
  return g.build();
}

// Float only, opset 10 (Resize with sizes does not exist yet): "fine" [1,2,8,8] and "coarse" [1,3,4,4].
function floatNetOpset10(): Uint8Array {
  const g = new OnnxGraphBuilder('old', { opset: 10 });
  const x = g.input('image', [1, 3, 16, 16]);
  const w1 = Float32Array.from({ length: 2 * 3 * 9 }, (_, i) => Math.cos(i));
  g.op('Conv', [x, g.floats('w1', w1, [2, 3, 3, 3])], { strides: [2, 2], pads: [1, 1, 1, 1] }, ['fine']);
  const w2 = Float32Array.from({ length: 3 * 2 * 9 }, (_, i) => Math.sin(i));
  g.op('Conv', ['fine', g.floats('w2', w2, [3, 2, 3, 3])], { strides: [2, 2], pads: [1, 1, 1, 1] }, ['coarse']);
  g.op('GlobalAveragePool', ['coarse'], {}, ['pooled']);
  g.output('pooled', [1, 3, 1, 1], onnx.TensorProto.DataType.FLOAT);
  return g.build();
}

