import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDetect } from './detect-task';
import { pngBytes, rgbImage } from './testing-images';
import { writeConstantYoloModel } from './testing-yolo-model';
import { classwiseNms, parseClassNames } from './yolo-output';

describe('YOLO ONNX detector', () => {
  let dir: string;
  let modelPath: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-yolo-'));
    modelPath = path.join(dir, 'const-yolo.onnx');
    writeConstantYoloModel(modelPath);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps one box per object after NMS, maps it back through the letterbox and labels it from the metadata', async () => {
    // 1280×640 → scale 0.5, content 640×320 centred: offsetY 160.
    const image = await pngBytes(rgbImage(1280, 640, 0));
    const out = await runDetect({ image, minScore: 0.25, detectorModel: modelPath });
    expect(out.modelVersion).toBe('onnx:const-yolo');
    expect(out.objects).toEqual([
      { x: 160, y: 20, width: 80, height: 120, label: 'car', score: 0.9 },
      { x: 700, y: 230, width: 200, height: 100, label: 'person', score: 0.7 },
    ]);
  });

  it('applies minScore as the confidence filter', async () => {
    const image = await pngBytes(rgbImage(1280, 640, 0));
    const out = await runDetect({ image, minScore: 0.75, detectorModel: modelPath });
    expect(out.objects.map((o) => o.label)).toEqual(['car']);
  });

  it('parses Ultralytics names metadata', () => {
    expect(parseClassNames("{0: 'person', 1: 'traffic light', 2: \"it's\"}")).toEqual(['person', 'traffic light', "it's"]);
    expect(parseClassNames(undefined)).toEqual([]);
  });

  it('suppresses overlaps only within a class', () => {
    const box = { x1: 0, y1: 0, x2: 10, y2: 10 };
    const kept = classwiseNms([
      { ...box, score: 0.9, classId: 0 },
      { ...box, score: 0.8, classId: 1 },
      { ...box, x1: 1, score: 0.7, classId: 0 },
    ]);
    expect(kept.map((k) => k.classId)).toEqual([0, 1]);
  });
});
