// imageBase64 → bytes. Accepts a data URL (the MIME part is ignored: the decoder sniffs the format) or bare base64,
// standard or URL-safe alphabet, whitespace ignored. Strict where Python's decoder silently dropped characters.
import { ApiError } from '../errors/api-error';

export const INVALID_IMAGE_PREFIX = 'invalid image payload: ';

export function invalidImagePayload(reason: string): ApiError {
  return new ApiError('invalid_image_payload', `${INVALID_IMAGE_PREFIX}${reason}`, { stage: 'decode_or_open' });
}

export function decodeImagePayload(imageBase64: string): Uint8Array {
  let encoded = imageBase64;
  if (/^data:/i.test(encoded)) {
    const comma = encoded.indexOf(',');
    if (comma < 0) throw invalidImagePayload('invalid data URL');
    if (!/;base64$/i.test(encoded.slice(0, comma))) throw invalidImagePayload('data URL is not base64-encoded');
    encoded = encoded.slice(comma + 1);
  }
  encoded = encoded.replace(/\s+/g, '');
  if (encoded.length === 0) throw invalidImagePayload('empty image data');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
    throw invalidImagePayload('not valid base64');
  }
  const bytes = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
