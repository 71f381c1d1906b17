// A small builder for ONNX graphs written from TypeScript (generated backbones and test models).
// onnx-proto follows the ONNX 1.10 schema: every attribute needs its `type`, tensors go in `rawData`.
import { onnx } from 'onnx-proto';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

/** A dimension of a graph input/output: a number is fixed, a string is a symbolic (dynamic) axis. */
export type GraphDim = number | string;

/** number: INT when integral, else FLOAT; `{ f }`: always FLOAT; number[]: INTS; `{ floats }`: FLOATS. */
export type AttributeValue = number | number[] | string | { f: number } | { floats: number[] };

export class OnnxGraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private nextId = 0;

  /** `opset`: of the default domain; `domains`: extra opset imports (e.g. com.microsoft for contrib ops). */
  constructor(
    private readonly graphName: string,
    private readonly opsets: { opset?: number; domains?: Array<{ domain: string; version: number }> } = {},
  ) {}

  /** A fresh tensor name with a readable prefix. */
  name(prefix: string): string {
    this.nextId += 1;
    return `${prefix}_${this.nextId}`;
  }

  input(name: string, dims: GraphDim[]): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  output(name: string, dims: GraphDim[], elemType: number = onnx.TensorProto.DataType.FLOAT): void {
    this.outputs.push(valueInfo(name, dims, elemType));
  }

  /** Float32 constant stored as an initializer; `dims` must multiply to `values.length`. */
  floats(prefix: string, values: Float32Array | number[], dims: number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    checkSize(prefix, data.length, dims);
    const name = this.name(prefix);
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
    });
    return name;
  }

  /** Int64 constant (shapes, axes). */
  int64s(prefix: string, values: number[], dims: number[] = [values.length]): string {
    checkSize(prefix, values.length, dims);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    const name = this.name(prefix);
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /** Uint8 or int8 constant (quantised weights, zero points); `values` are the stored integers. */
  bytes(prefix: string, type: 'uint8' | 'int8', values: number[], dims: number[]): string {
    checkSize(prefix, values.length, dims);
    const data = type === 'uint8' ? Uint8Array.from(values) : new Uint8Array(Int8Array.from(values).buffer);
    const name = this.name(prefix);
    const T = onnx.TensorProto.DataType;
    this.initializers.push({ name, dims, dataType: type === 'uint8' ? T.UINT8 : T.INT8, rawData: data });
    return name;
  }

  /** Adds a node and returns its first output name (outputs are auto-named unless given). */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputs?: string[], domain = ''): string {
    const outs = outputs ?? [this.name(opType.toLowerCase())];
    this.nodes.push({
      opType,
      domain,
      name: this.name(`n_${opType}`),
      input: inputs,
      output: outs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outs[0];
  }

  /** Adds a node with several outputs and returns all of their names. */
  opMulti(opType: string, inputs: string[], outputCount: number, attributes: Record<string, AttributeValue> = {}): string[] {
    const outs = Array.from({ length: outputCount }, () => this.name(opType.toLowerCase()));
    this.op(opType, inputs, attributes, outs);
    return outs;
  }

  /** Serialises the model (binary protobuf, ready for `InferenceSession.create` or a file). */
  build(docString = ''): Uint8Array {
    const model: onnx.IModelProto = {
      irVersion: ONNX_IR_VERSION,
      producerName: 'bdi-backend',
      docString,
      opsetImport: [{ domain: '', version: this.opsets.opset ?? ONNX_OPSET }, ...(this.opsets.domains ?? [])],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

function checkSize(name: string, length: number, dims: number[]): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== length) throw new Error(`constant ${name}: ${length} values for dims [${dims.join(',')}]`);
}

function valueInfo(name: string, dims: GraphDim[], elemType: number = onnx.TensorProto.DataType.FLOAT): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('floats' in value) return { name, type: T.FLOATS, floats: value.floats };
  return { name, type: T.FLOAT, f: value.f };
}
