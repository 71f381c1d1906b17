// Fitting a crop to the backbone input per the profile's InputSizing. 'aspect' keeps the crop's own aspect ratio
// and fills the whole input (no padding): elongated crops keep their resolution along both axes, and no memory
// rows are spent on padding or on the content/padding edge.
import { resizeFill } from '../image';
import { letterboxImage } from '../letterbox';
import type { Letterbox, RgbImage } from '../types';
import type { InputSizing } from './detector-profile';

export interface BackboneInputShape {
  inputWidth: number;
  inputHeight: number;
  patchStride: number;
  /** The model accepts other input sizes than the manifest's (dynamic height/width axes). */
  resizable: boolean;
}

/** Input size for 'aspect': about side² pixels, each axis a multiple of the stride (at least 2 cells). */
export function aspectInputSize(width: number, height: number, side: number, stride: number): { width: number; height: number } {
  const scale = side / Math.sqrt(width * height);
  const axis = (n: number): number => Math.max(2, Math.round((n * scale) / stride)) * stride;
  return { width: axis(width), height: axis(height) };
}

export async function sizeForBackbone(
  image: RgbImage,
  sizing: InputSizing,
  backbone: BackboneInputShape,
): Promise<{ image: RgbImage; letterbox: Letterbox }> {
  if (sizing.mode === 'letterbox' || !backbone.resizable) return letterboxImage(image, backbone.inputWidth, backbone.inputHeight);
  const size = aspectInputSize(image.width, image.height, sizing.side, backbone.patchStride);
  const resized = size.width === image.width && size.height === image.height ? image : await resizeFill(image, size);
  return { image: resized, letterbox: aspectLetterbox(image.width, image.height, size) };
}

/** 'aspect' fills the whole input: no padding, content = input. */
function aspectLetterbox(sourceWidth: number, sourceHeight: number, input: { width: number; height: number }): Letterbox {
  return {
    inputWidth: input.width,
    inputHeight: input.height,
    contentWidth: input.width,
    contentHeight: input.height,
    offsetX: 0,
    offsetY: 0,
    sourceWidth,
    sourceHeight,
  };
}
