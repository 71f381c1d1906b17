// Optional ONNX detector (BDI_DETECTOR_MODEL): a YOLOv8/YOLO11 export. Input `images` [1, 3, S, S], RGB / 255,
// letterboxed on grey 114 as Ultralytics does; class names from the model's metadata_props `names`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { letterboxImage } from '../letterbox';
import type { Letterbox, RgbImage } from '../types';
import { DetectedObject } from './detected-object';
import { decodeYoloOutput, parseClassNames } from './yolo-output';

const DEFAULT_INPUT_SIZE = 640;
const PAD_VALUE = 114;

export class YoloDetector {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly outputName: string,
    readonly inputSize: number,
    readonly names: string[],
    readonly modelVersion: string,
  ) {}

  static async load(modelPath: string): Promise<YoloDetector> {
    const bytes = fs.readFileSync(modelPath);
    const model = onnx.ModelProto.decode(bytes);
    const metadata = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
    const inputDims = model.graph?.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
    const fixedSide = Number(inputDims[2]?.dimValue ?? 0);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const outputName = session.outputNames.includes('output0') ? 'output0' : session.outputNames[0];
    const inputName = session.inputNames.includes('images') ? 'images' : session.inputNames[0];
    const version = `onnx:${path.basename(modelPath, path.extname(modelPath))}`;
    return new YoloDetector(session, inputName, outputName, fixedSide > 0 ? fixedSide : DEFAULT_INPUT_SIZE, parseClassNames(metadata.get('names')), version);
  }

  async detect(image: RgbImage, minScore: number): Promise<DetectedObject[]> {
    const { tensor, letterbox } = await this.preprocess(image);
    const outputs = await this.session.run({ [this.inputName]: tensor });
    const output = outputs[this.outputName];
    return decodeYoloOutput({
      data: output.data as Float32Array,
      dims: output.dims,
      letterbox,
      names: this.names,
      minScore,
    });
  }

  private async preprocess(image: RgbImage): Promise<{ tensor: ort.Tensor; letterbox: Letterbox }> {
    const size = this.inputSize;
    const { image: boxed, letterbox: box } = await letterboxImage(image, size, size, { kernel: 'linear', padValue: PAD_VALUE });
    // Interleaved RGB bytes → planar [1, 3, H, W] floats in [0, 1], as Ultralytics exports expect.
    const plane = size * size;
    const data = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      data[i] = boxed.data[i * 3] / 255;
      data[plane + i] = boxed.data[i * 3 + 1] / 255;
      data[2 * plane + i] = boxed.data[i * 3 + 2] / 255;
    }
    return { tensor: new ort.Tensor('float32', data, [1, 3, size, size]), letterbox: box };
  }
}
