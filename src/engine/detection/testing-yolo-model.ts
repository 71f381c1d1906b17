// A YOLO-format ONNX model for tests, written with onnx-proto: output0 is a constant [1, 4 + 2, 4] whatever the image.
// Anchors (cx, cy, w, h in 640×640 input pixels; score of class 0 "car", class 1 "person"):
//   A (100, 200, 40, 60) car 0.9 · B = A shifted by (4, 2), car 0.8 (NMS drops it) · C (400, 300, 100, 50) person 0.7
//   · D (300, 300, 20, 20) car 0.1 (below any useful threshold).
// For a 1280×640 image (scale 0.5, content centred at offsetY 160): A → {x:160, y:20, w:80, h:120}, C → {700, 230, 200, 100}.
import * as fs from 'node:fs';
import { onnx } from 'onnx-proto';

const ANCHORS = [
  [100, 200, 40, 60, 0.9, 0.05],
  [104, 202, 40, 60, 0.8, 0.05],
  [400, 300, 100, 50, 0.1, 0.7],
  [300, 300, 20, 20, 0.1, 0.02],
];

export function writeConstantYoloModel(file: string): void {
  const channels = 6;
  const values = new Float32Array(channels * ANCHORS.length);
  ANCHORS.forEach((anchor, i) => anchor.forEach((v, c) => (values[c * ANCHORS.length + i] = v)));
  const floatType = (dims: number[]): onnx.ITypeProto => ({
    tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
  });
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'bdi-test',
    metadataProps: [{ key: 'names', value: "{0: 'car', 1: 'person'}" }],
    graph: {
      name: 'const-yolo',
      input: [{ name: 'images', type: floatType([1, 3, 640, 640]) }],
      output: [{ name: 'output0', type: floatType([1, channels, ANCHORS.length]) }],
      initializer: [
        { name: 'boxes', dims: [1, channels, ANCHORS.length], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer) },
        { name: 'zero', dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(new Float32Array([0]).buffer) },
      ],
      // output0 = boxes + 0 · mean(images): the graph input stays used, so every runtime accepts the model.
      node: [
        {
          opType: 'ReduceMean',
          input: ['images'],
          output: ['mean'],
          attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
        },
        { opType: 'Mul', input: ['mean', 'zero'], output: ['nothing'] },
        { opType: 'Add', input: ['boxes', 'nothing'], output: ['output0'] },
      ],
    },
  };
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
}
