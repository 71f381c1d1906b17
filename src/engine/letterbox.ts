// Aspect-preserving resize of a crop into the backbone input, centred on black, as the original's PIL letterbox.
import { resizeFill } from './image';
import type { Letterbox, RgbImage } from './types';

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The content's cell range along one axis: cells that hold any of [offset, offset + size) of the input. */
function contentRange(offset: number, size: number, input: number, cells: number): [number, number] {
  const cell = input / cells;
  const first = Math.min(cells - 1, Math.max(0, Math.floor(offset / cell)));
  const end = Math.max(first + 1, Math.min(cells, Math.ceil((offset + size) / cell)));
  return [first, end];
}

/** The grid cells that hold any of the crop (the rest is letterbox padding): columns [x0, x1), rows [y0, y1). */
export function contentCells(box: Letterbox, gridH: number, gridW: number): { x0: number; x1: number; y0: number; y1: number } {
  const [x0, x1] = contentRange(box.offsetX, box.contentWidth, box.inputWidth, gridW);
  const [y0, y1] = contentRange(box.offsetY, box.contentHeight, box.inputHeight, gridH);
  return { x0, x1, y0, y1 };
}

export function letterboxGeometry(sourceWidth: number, sourceHeight: number, inputWidth: number, inputHeight: number): Letterbox {
  const scale = Math.min(inputWidth / sourceWidth, inputHeight / sourceHeight);
  // At least one pixel: extreme aspect ratios would otherwise round a side to 0.
  const contentWidth = Math.max(1, Math.min(inputWidth, roundHalfEven(sourceWidth * scale)));
  const contentHeight = Math.max(1, Math.min(inputHeight, roundHalfEven(sourceHeight * scale)));
  return {
    inputWidth,
    inputHeight,
    contentWidth,
    contentHeight,
    offsetX: (inputWidth - contentWidth) >> 1,
    offsetY: (inputHeight - contentHeight) >> 1,
    sourceWidth,
    sourceHeight,
  };
}

export interface LetterboxOptions {
  /** Resampling kernel; the default cubic antialiases on downscale like PIL's BICUBIC (the original backbone's). */
  kernel?: 'cubic' | 'linear';
  /** Grey level of the padding; 0 (black) as the original, 114 for YOLO models. */
  padValue?: number;
}

export async function letterboxImage(
  image: RgbImage,
  inputWidth: number,
  inputHeight: number,
  options: LetterboxOptions = {},
): Promise<{ image: RgbImage; letterbox: Letterbox }> {
  const box = letterboxGeometry(image.width, image.height, inputWidth, inputHeight);
  const resized =
    box.contentWidth !== image.width || box.contentHeight !== image.height
      ? await resizeFill(image, { width: box.contentWidth, height: box.contentHeight }, options.kernel ?? 'cubic')
      : image;
  const out = new Uint8Array(inputWidth * inputHeight * 3);
  if (options.padValue) out.fill(options.padValue);
  const rowBytes = box.contentWidth * 3;
  for (let y = 0; y < box.contentHeight; y++) {
    const dst = ((box.offsetY + y) * inputWidth + box.offsetX) * 3;
    out.set(resized.data.subarray(y * rowBytes, (y + 1) * rowBytes), dst);
  }
  return { image: { data: out, width: inputWidth, height: inputHeight }, letterbox: box };
}
