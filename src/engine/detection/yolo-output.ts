// Decoding of a YOLOv8/YOLO11 detection head exported to ONNX: output [1, 4 + nc, N], per anchor cx, cy, w, h in
// input pixels followed by one score per class. Boxes go through class-wise NMS and back through the letterbox.
import type { Letterbox } from '../types';
import { byScoreThenPosition, DetectedObject, roundTo } from './detected-object';

export const NMS_IOU_THRESHOLD = 0.45;
export const MAX_DETECTIONS = 300;

interface Candidate {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classId: number;
}

/**
 * Class names from the model's metadata `names`, which Ultralytics writes as a Python dict literal:
 * `{0: 'person', 1: 'bicycle'}`. Returns [] when absent or unparsable (labels then fall back to class_<id>).
 */
export function parseClassNames(text: string | undefined | null): string[] {
  if (!text) return [];
  const names: string[] = [];
  const entry = /(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g;
  for (let m = entry.exec(text); m !== null; m = entry.exec(text)) {
    names[Number(m[1])] = (m[2] ?? m[3]).replace(/\\(.)/g, '$1');
  }
  return names;
}

function iou(a: Candidate, b: Candidate): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/** Greedy NMS per class: a box is dropped when it overlaps a better box of the same class by more than the IoU limit. */
export function classwiseNms(candidates: Candidate[], iouThreshold = NMS_IOU_THRESHOLD): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.length >= MAX_DETECTIONS) break;
    if (kept.every((k) => k.classId !== c.classId || iou(k, c) <= iouThreshold)) kept.push(c);
  }
  return kept;
}

export interface YoloDecodeOptions {
  /** Output tensor data and its dims ([1, 4 + nc, N], or [1, N, 4 + nc] when transposed at export). */
  data: Float32Array;
  dims: readonly number[];
  letterbox: Letterbox;
  names: string[];
  minScore: number;
  iouThreshold?: number;
}

export function decodeYoloOutput(options: YoloDecodeOptions): DetectedObject[] {
  const { data, dims, letterbox, names } = options;
  if (dims.length !== 3 || dims[0] !== 1) throw new Error(`unexpected YOLO output shape [${dims.join(', ')}]`);
  // Channels-first unless the class count from the metadata says the export was transposed.
  const transposed = names.length > 0 && dims[2] === 4 + names.length && dims[1] !== 4 + names.length;
  const channels = transposed ? dims[2] : dims[1];
  const anchors = transposed ? dims[1] : dims[2];
  if (channels < 5) throw new Error(`YOLO output has ${channels} channels; expected 4 box values + class scores`);
  const at = transposed ? (c: number, a: number) => data[a * channels + c] : (c: number, a: number) => data[c * anchors + a];

  const candidates: Candidate[] = [];
  for (let a = 0; a < anchors; a++) {
    let classId = 0;
    let score = -Infinity;
    for (let c = 4; c < channels; c++) {
      const s = at(c, a);
      if (s > score) {
        score = s;
        classId = c - 4;
      }
    }
    if (!(score >= options.minScore)) continue;
    const cx = at(0, a);
    const cy = at(1, a);
    const w = at(2, a);
    const h = at(3, a);
    candidates.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, classId });
  }

  const scaleX = letterbox.contentWidth / letterbox.sourceWidth;
  const scaleY = letterbox.contentHeight / letterbox.sourceHeight;
  const toSourceX = (v: number) => clamp((v - letterbox.offsetX) / scaleX, 0, letterbox.sourceWidth);
  const toSourceY = (v: number) => clamp((v - letterbox.offsetY) / scaleY, 0, letterbox.sourceHeight);
  const objects: DetectedObject[] = [];
  for (const c of classwiseNms(candidates, options.iouThreshold)) {
    const x1 = toSourceX(c.x1);
    const y1 = toSourceY(c.y1);
    const x2 = toSourceX(c.x2);
    const y2 = toSourceY(c.y2);
    if (x2 <= x1 || y2 <= y1) continue;
    objects.push({
      x: roundTo(x1, 2),
      y: roundTo(y1, 2),
      width: roundTo(x2 - x1, 2),
      height: roundTo(y2 - y1, 2),
      label: names[c.classId] ?? `class_${c.classId}`,
      score: roundTo(c.score, 3),
    });
  }
  return objects.sort(byScoreThenPosition);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
