// The `detect` task: bytes in, boxes out. Runs inside a pool worker (registered in engine/worker.ts) and is plain
// TypeScript so it can also run on the main thread when no pool is available.
import { decodeImage, DEFAULT_LIMIT_INPUT_PIXELS, resizeFill } from '../image';
import type { RgbImage } from '../types';
import { DetectedObject, roundTo } from './detected-object';
import { detectForeground, FOREGROUND_MODEL_VERSION } from './foreground-detector';
import { YoloDetector } from './yolo-detector';

/** The classical detector works on at most this many pixels; larger frames are downscaled and boxes scaled back. */
export const FOREGROUND_MAX_PIXELS = 4_000_000;

export interface DetectInput {
  /** Encoded image (PNG, JPEG, BMP, WebP, ...). */
  image: Uint8Array;
  minScore: number;
  /** Path of a YOLO ONNX model, or null for the built-in classical detector. */
  detectorModel: string | null;
}

export interface DetectOutput {
  objects: DetectedObject[];
  modelVersion: string;
  width: number;
  height: number;
  timings: { decodeMs: number; detectMs: number };
}

// One ONNX session per model path per thread, created on first use.
const yoloDetectors = new Map<string, Promise<YoloDetector>>();

function yoloDetector(modelPath: string): Promise<YoloDetector> {
  let detector = yoloDetectors.get(modelPath);
  if (!detector) {
    detector = YoloDetector.load(modelPath);
    detector.catch(() => yoloDetectors.delete(modelPath));
    yoloDetectors.set(modelPath, detector);
  }
  return detector;
}

export async function runDetect(input: DetectInput, ctx?: { config: { limitInputPixels: number } }): Promise<DetectOutput> {
  const t0 = performance.now();
  const image = await decodeImage(input.image, { limitInputPixels: ctx?.config.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS });
  const t1 = performance.now();
  let objects: DetectedObject[];
  let modelVersion: string;
  if (input.detectorModel) {
    const detector = await yoloDetector(input.detectorModel);
    objects = await detector.detect(image, input.minScore);
    modelVersion = detector.modelVersion;
  } else {
    objects = await detectForegroundAtMostPixels(image, input.minScore, FOREGROUND_MAX_PIXELS);
    modelVersion = FOREGROUND_MODEL_VERSION;
  }
  return {
    objects,
    modelVersion,
    width: image.width,
    height: image.height,
    timings: { decodeMs: t1 - t0, detectMs: performance.now() - t1 },
  };
}

async function detectForegroundAtMostPixels(image: RgbImage, minScore: number, maxPixels: number): Promise<DetectedObject[]> {
  const pixels = image.width * image.height;
  if (pixels <= maxPixels) return detectForeground(image, minScore);
  const factor = Math.sqrt(maxPixels / pixels);
  const width = Math.max(1, Math.floor(image.width * factor));
  const height = Math.max(1, Math.floor(image.height * factor));
  const small = await resizeFill(image, { width, height }, 'linear');
  const sx = image.width / width;
  const sy = image.height / height;
  return detectForeground(small, minScore).map((o) => ({
    ...o,
    x: roundTo(o.x * sx, 2),
    y: roundTo(o.y * sy, 2),
    width: roundTo(o.width * sx, 2),
    height: roundTo(o.height * sy, 2),
  }));
}
