// Graph surgery on an existing ONNX network: turn named internal values into patch-feature outputs. Int8/uint8
// QOperator values are dequantised inside the graph (DequantizeLinear with the scale/zero point of the node that
// produced them), PatchCore's k×k neighbourhood average, the resize to a common grid and nothing else are added,
// and everything the outputs do not need (the classifier head) is pruned. ONNX Runtime then runs it all natively.
import { onnx } from 'onnx-proto';
import { BackboneError } from './backbone-error';

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

/** Scale and zero-point input positions of the output of each QOperator node (per the ONNX / contrib op specs). */
const QUANTIZED_OUTPUT_PARAMS: Record<string, [scale: number, zeroPoint: number]> = {
  QuantizeLinear: [1, 2],
  QLinearConv: [6, 7],
  QLinearMatMul: [6, 7],
  'com.microsoft:QLinearAdd': [6, 7],
  'com.microsoft:QLinearMul': [6, 7],
  'com.microsoft:QLinearAveragePool': [3, 4],
  'com.microsoft:QLinearGlobalAveragePool': [3, 4],
  'com.microsoft:QLinearLeakyRelu': [3, 4],
  'com.microsoft:QLinearSigmoid': [3, 4],
  'com.microsoft:QLinearConcat': [0, 1],
};

/** Ops that move or select quantised values without rescaling them: their output keeps the input's scale. */
const QUANTIZATION_PRESERVING = new Set([
  'MaxPool',
  'Reshape',
  'Transpose',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Identity',
  'Slice',
  'DepthToSpace',
  'SpaceToDepth',
]);

/** Opset from which Resize takes `sizes` (so the common grid can follow a dynamic input size). */
export const IN_GRAPH_COMBINE_MIN_OPSET = 11;
/** DequantizeLinear exists from opset 10 (as do all QOperator ops). */
const DEQUANTIZE_MIN_OPSET = 10;

export interface Quantization {
  /** Names of the scale and zero-point values (usually initializers) that dequantise the tensor. */
  scale: string;
  zeroPoint: string;
  /** Op that set them (after skipping quantisation-preserving ops). */
  producer: string;
}

export interface GraphImageInput {
  name: string;
  /** Declared dims; a string is a symbolic axis. */
  dims: Array<number | string>;
}

/** An ONNX model with the indexes surgery needs. Mutations go to fresh copies made by `clone()`. */
export class OnnxModel {
  readonly producers = new Map<string, { node: onnx.INodeProto; index: number }>();
  readonly initializers = new Set<string>();
  readonly opset: number;

  private constructor(readonly proto: onnx.ModelProto) {
    const graph = proto.graph as onnx.IGraphProto;
    for (const [index, node] of (graph.node ?? []).entries()) {
      for (const out of node.output ?? []) if (out) this.producers.set(out, { node, index });
    }
    for (const init of graph.initializer ?? []) if (init.name) this.initializers.add(init.name);
    const main = (proto.opsetImport ?? []).find((o) => DEFAULT_DOMAINS.has(o.domain ?? ''));
    this.opset = main ? Number(main.version) : 1;
  }

  static decode(bytes: Uint8Array, source = 'model'): OnnxModel {
    let proto: onnx.ModelProto;
    try {
      proto = onnx.ModelProto.decode(bytes);
    } catch (err) {
      throw new BackboneError('backbone_load_failed', `${source} is not an ONNX model: ${(err as Error).message}`);
    }
    if (!proto.graph || (proto.graph.node ?? []).length === 0) {
      throw new BackboneError('backbone_load_failed', `${source} has no graph nodes`);
    }
    return new OnnxModel(proto);
  }

  clone(): OnnxModel {
    return new OnnxModel(onnx.ModelProto.decode(onnx.ModelProto.encode(this.proto).finish()));
  }

  get graph(): onnx.IGraphProto {
    return this.proto.graph as onnx.IGraphProto;
  }

  encode(): Uint8Array {
    return onnx.ModelProto.encode(this.proto).finish();
  }

  /** Names of all values computed by nodes, in graph order (candidates for `--layers`). */
  internalValues(): string[] {
    return (this.graph.node ?? []).flatMap((node) => (node.output ?? []).filter((name) => name !== ''));
  }

  /** The one float image input `[N, 3, H, W]`; anything else is a clear error. */
  imageInput(): GraphImageInput {
    const inputs = (this.graph.input ?? []).filter((i) => i.name && !this.initializers.has(i.name));
    if (inputs.length !== 1) {
      throw new BackboneError(
        'backbone_invalid_input',
        `The network must have exactly one image input, it has ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`,
      );
    }
    const input = inputs[0];
    const tensor = input.type?.tensorType;
    const dims = (tensor?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? Number(d.dimValue) : '?'));
    if (tensor?.elemType !== onnx.TensorProto.DataType.FLOAT) {
      throw new BackboneError('backbone_invalid_input', `Input "${input.name}" must be float32 (it is ONNX type ${tensor?.elemType})`);
    }
    if (dims.length !== 4 || (typeof dims[1] === 'number' && dims[1] !== 3)) {
      throw new BackboneError(
        'backbone_invalid_input',
        `Input "${input.name}" must be an NCHW RGB image [N, 3, H, W], it is [${dims.join(', ')}]`,
      );
    }
    return { name: input.name as string, dims };
  }

  /** Checks that `name` is a value computed inside the graph; otherwise lists the closest names. */
  requireInternalValue(name: string): void {
    if (this.producers.has(name)) return;
    const what = this.initializers.has(name)
      ? 'is a constant (initializer), not a computed value'
      : (this.graph.input ?? []).some((i) => i.name === name)
        ? 'is the graph input, not an internal value'
        : 'is not a value of this graph';
    const close = closestNames(name, this.internalValues(), 5);
    throw new BackboneError(
      'backbone_unknown_tensor',
      `Tensor "${name}" ${what}. Closest names: ${close.join(', ')} (see --list-tensors)`,
      { tensor: name, candidates: close },
    );
  }

  /** Scale/zero point that dequantise `name`, or null when it is not a QOperator (int8/uint8) value. */
  quantizationOf(name: string): Quantization | null {
    let current = name;
    for (let hops = 0; hops < 64; hops++) {
      const entry = this.producers.get(current);
      if (!entry) return null;
      const { node } = entry;
      const domain = node.domain ?? '';
      const key = DEFAULT_DOMAINS.has(domain) ? (node.opType as string) : `${domain}:${node.opType}`;
      const params = QUANTIZED_OUTPUT_PARAMS[key];
      if (params) {
        const inputs = node.input ?? [];
        const scale = inputs[params[0]];
        const zeroPoint = inputs[params[1]];
        if (!scale) return null;
        return { scale, zeroPoint: zeroPoint ?? '', producer: key };
      }
      if (!DEFAULT_DOMAINS.has(domain) || !QUANTIZATION_PRESERVING.has(node.opType as string)) return null;
      current = (node.input ?? [])[0] ?? '';
    }
    return null;
  }
}

export interface FeatureLayer {
  /** Internal value to tap. */
  name: string;
  quantization: Quantization | null;
}

export interface FeatureGraphPlan {
  layers: FeatureLayer[];
  /** Index (into layers) of the layer whose grid the others are resized to. */
  gridLayer: number;
  /** k×k neighbourhood average (odd; 1 = none). */
  neighbourhood: number;
  /** Add average/resize in the graph (needs opset ≥ 11); otherwise the outputs are the (dequantised) raw maps. */
  combineInGraph: boolean;
}

/**
 * Returns a copy of `model` whose only outputs are one float map `[N, C_i, H', W']` per layer, named
 * `featureOutputName(layer)`, with the image input's H and W made symbolic, and unused nodes pruned.
 */
export function buildFeatureGraph(model: OnnxModel, plan: FeatureGraphPlan): OnnxModel {
  const out = model.clone();
  const g = new GraphEditor(out);
  if (plan.layers.some((l) => l.quantization) && out.opset < DEQUANTIZE_MIN_OPSET) {
    throw new BackboneError('backbone_load_failed', `Quantised values need opset >= ${DEQUANTIZE_MIN_OPSET}; the model has ${out.opset}`);
  }
  if (plan.combineInGraph && out.opset < IN_GRAPH_COMBINE_MIN_OPSET) {
    throw new Error(`in-graph combine needs opset >= ${IN_GRAPH_COMBINE_MIN_OPSET}`);
  }
  const floats = plan.layers.map((layer) =>
    layer.quantization
      ? g.op('DequantizeLinear', [layer.name, layer.quantization.scale, layer.quantization.zeroPoint].filter((v, i) => i < 2 || v !== ''))
      : layer.name,
  );
  let maps = floats;
  if (plan.combineInGraph) {
    const pooled = floats.map((value) =>
      plan.neighbourhood > 1
        ? g.op('AveragePool', [value], {
            kernel_shape: [plan.neighbourhood, plan.neighbourhood],
            strides: [1, 1],
            pads: Array(4).fill(plan.neighbourhood >> 1),
            count_include_pad: 1, // torch AvgPool2d's default, as PatchCore
          })
        : value,
    );
    const gridHw = g.op('Slice', [g.op('Shape', [pooled[plan.gridLayer]]), g.int64s([2]), g.int64s([4]), g.int64s([0])]);
    const emptyFloats = g.floats([]);
    maps = pooled.map((value, i) => {
      if (i === plan.gridLayer) return value;
      const batchChannels = g.op('Slice', [g.op('Shape', [value]), g.int64s([0]), g.int64s([2]), g.int64s([0])]);
      const sizes = g.op('Concat', [batchChannels, gridHw], { axis: 0 });
      // half_pixel + linear = torch bilinear with align_corners=false (PatchCore's F.interpolate).
      return g.op('Resize', [value, emptyFloats, emptyFloats, sizes], {
        mode: 'linear',
        coordinate_transformation_mode: 'half_pixel',
      });
    });
  }
  const outputs = plan.layers.map((layer, i) => {
    const name = featureOutputName(layer.name);
    g.op('Identity', [maps[i]], {}, [name]);
    return name;
  });
  g.setOutputs(outputs);
  g.makeSpatialDimsSymbolic();
  g.prune();
  return OnnxModelFromProto(out.proto);
}

/** A copy whose outputs are exactly `names` (types left for ONNX Runtime to infer), for probing shapes. */
export function buildProbeGraph(model: OnnxModel, names: string[]): OnnxModel {
  const out = model.clone();
  const g = new GraphEditor(out);
  g.setOutputs(names, false);
  g.makeSpatialDimsSymbolic();
  g.prune();
  return OnnxModelFromProto(out.proto);
}

/** Per-channel affine map from one network's input tensor to another's: x₂ = x₁ · mul + add. */
export interface InputAdapter {
  mul: [number, number, number];
  add: [number, number, number];
}

/**
 * One graph that runs two feature graphs on the same image: `first` as it is, `second` with every value and node
 * name prefixed and its input computed from `first`'s by `adapter` (so each keeps its own normalisation). Outputs:
 * `first`'s, then `second`'s (prefixed). Each domain gets the higher of the two opsets.
 */
export function mergeFeatureGraphs(first: OnnxModel, second: OnnxModel, adapter: InputAdapter, prefix: string): OnnxModel {
  const out = first.clone();
  const g = new GraphEditor(out);
  const graph = out.graph;
  const other = second.graph;
  if ((other.node ?? []).some((node) => (node.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length > 0))) {
    throw new BackboneError('backbone_load_failed', 'Cannot merge a network with control-flow subgraphs (If/Loop/Scan)');
  }
  const x = g.op('Add', [g.op('Mul', [first.imageInput().name, g.floats(adapter.mul, [1, 3, 1, 1])]), g.floats(adapter.add, [1, 3, 1, 1])]);
  const secondInput = second.imageInput().name;
  const renamed = (name: string): string => (name === '' ? '' : name === secondInput ? x : `${prefix}${name}`);
  for (const node of other.node ?? []) {
    graph.node!.push({ ...node, name: node.name ? `${prefix}${node.name}` : node.name, input: (node.input ?? []).map(renamed), output: (node.output ?? []).map(renamed) });
  }
  for (const init of other.initializer ?? []) graph.initializer!.push({ ...init, name: renamed(init.name as string) });
  graph.output = [...(graph.output ?? []), ...(other.output ?? []).map((o) => ({ ...o, name: renamed(o.name as string) }))];
  const versions = new Map<string, number>();
  for (const o of [...(first.proto.opsetImport ?? []), ...(second.proto.opsetImport ?? [])]) {
    const domain = DEFAULT_DOMAINS.has(o.domain ?? '') ? '' : (o.domain as string);
    versions.set(domain, Math.max(versions.get(domain) ?? 0, Number(o.version)));
  }
  out.proto.opsetImport = [...versions].map(([domain, version]) => ({ domain, version }));
  out.proto.irVersion = Math.max(Number(first.proto.irVersion), Number(second.proto.irVersion));
  return OnnxModelFromProto(out.proto);
}

/** Graph output name of a tapped layer's patch features. */
export function featureOutputName(layer: string): string {
  return `${layer}.patch`;
}

function OnnxModelFromProto(proto: onnx.ModelProto): OnnxModel {
  return OnnxModel.decode(onnx.ModelProto.encode(proto).finish());
}

/** Appends nodes/constants to a model's graph with names that cannot collide with existing ones. */
class GraphEditor {
  private readonly taken = new Set<string>();
  private next = 0;

  constructor(private readonly model: OnnxModel) {
    const graph = model.graph;
    for (const node of graph.node ?? []) {
      if (node.name) this.taken.add(node.name);
      for (const v of [...(node.input ?? []), ...(node.output ?? [])]) this.taken.add(v);
    }
    for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) if (v.name) this.taken.add(v.name);
    for (const init of graph.initializer ?? []) if (init.name) this.taken.add(init.name);
  }

  fresh(prefix: string): string {
    let name: string;
    do name = `bdi_${prefix}_${++this.next}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  op(opType: string, inputs: string[], attributes: Record<string, number | number[] | string> = {}, outputs?: string[]): string {
    const outs = outputs ?? [this.fresh(opType.toLowerCase())];
    const T = onnx.AttributeProto.AttributeType;
    this.model.graph.node!.push({
      opType,
      domain: '',
      name: this.fresh(`n_${opType}`),
      input: inputs,
      output: outs,
      attribute: Object.entries(attributes).map(([name, value]) =>
        typeof value === 'string'
          ? { name, type: T.STRING, s: new TextEncoder().encode(value) }
          : Array.isArray(value)
            ? { name, type: T.INTS, ints: value }
            : { name, type: T.INT, i: value },
      ),
    });
    return outs[0];
  }

  int64s(values: number[]): string {
    const name = this.fresh('const');
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.model.graph.initializer!.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  floats(values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh('const');
    const data = Float32Array.from(values);
    this.model.graph.initializer!.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** Replaces the graph outputs; `typed` declares them float32 maps, otherwise ONNX Runtime infers the type. */
  setOutputs(names: string[], typed = true): void {
    this.model.graph.output = names.map((name) =>
      typed
        ? {
            name,
            type: {
              tensorType: {
                elemType: onnx.TensorProto.DataType.FLOAT,
                shape: { dim: [{ dimParam: 'batch' }, { dimParam: `${name}_channels` }, { dimParam: 'grid_h' }, { dimParam: 'grid_w' }] },
              },
            },
          }
        : { name },
    );
  }

  /** The input's H and W become symbolic, and stale intermediate shapes are dropped (types stay). */
  makeSpatialDimsSymbolic(): void {
    const graph = this.model.graph;
    const image = this.model.imageInput();
    const input = (graph.input ?? []).find((i) => i.name === image.name);
    const dims = input?.type?.tensorType?.shape?.dim;
    if (dims && dims.length === 4) {
      dims[2] = { dimParam: 'height' };
      dims[3] = { dimParam: 'width' };
    }
    for (const info of graph.valueInfo ?? []) {
      if (info.type?.tensorType) info.type.tensorType.shape = null;
    }
  }

  /** Keeps only the nodes, initializers and inputs the outputs depend on (subgraph references included). */
  prune(): void {
    const graph = this.model.graph;
    const needed = new Set((graph.output ?? []).map((o) => o.name as string));
    const nodes = graph.node ?? [];
    const keep = new Array<boolean>(nodes.length).fill(false);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      if (!(node.output ?? []).some((o) => needed.has(o))) continue;
      keep[i] = true;
      for (const v of node.input ?? []) if (v) needed.add(v);
      for (const v of subgraphReferences(node)) needed.add(v);
    }
    graph.node = nodes.filter((_, i) => keep[i]);
    graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name as string));
    const image = this.model.imageInput().name;
    graph.input = (graph.input ?? []).filter((i) => i.name === image || needed.has(i.name as string));
    graph.valueInfo = (graph.valueInfo ?? []).filter((v) => needed.has(v.name as string));
  }
}

/** Every value name read inside a node's subgraph attributes (If/Loop/Scan bodies may read outer values). */
function subgraphReferences(node: onnx.INodeProto): string[] {
  const names: string[] = [];
  const visit = (graph: onnx.IGraphProto | null | undefined): void => {
    for (const inner of graph?.node ?? []) {
      names.push(...(inner.input ?? []));
      for (const attr of inner.attribute ?? []) {
        visit(attr.g);
        for (const sub of attr.graphs ?? []) visit(sub);
      }
    }
  };
  for (const attr of node.attribute ?? []) {
    visit(attr.g);
    for (const sub of attr.graphs ?? []) visit(sub);
  }
  return names.filter((n) => n !== '');
}

/** The `count` names nearest to `query`: names containing it first, then by edit distance. */
export function closestNames(query: string, names: readonly string[], count: number): string[] {
  const q = query.toLowerCase();
  return [...new Set(names)]
    .map((name) => {
      const n = name.toLowerCase();
      return { name, rank: n.includes(q) ? -1 : editDistance(q, n) };
    })
    .sort((a, b) => a.rank - b.rank || a.name.length - b.name.length)
    .slice(0, count)
    .map((c) => c.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
