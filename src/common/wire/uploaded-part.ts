// One file part of a multipart body. The bytes are a non-enumerable property, so DTO transformation (which
// walks enumerable keys) never copies megabytes of image data.

export interface UploadedPart {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  readonly buffer: Buffer;
}

const PART = Symbol('uploaded-part');

export function uploadedPart(fieldname: string, originalname: string, mimetype: string, buffer: Buffer): UploadedPart {
  const part = { fieldname, originalname, mimetype, size: buffer.length, [PART]: true } as unknown as UploadedPart;
  Object.defineProperty(part, 'buffer', { value: buffer, enumerable: false });
  return part;
}

export function isUploadedPart(value: unknown): value is UploadedPart {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PART] === true;
}
