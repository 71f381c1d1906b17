import { BackboneError } from './backbone';
import { CorruptArtifactError, ImageDecodeError, TokenGridMismatchError } from './engine-error';
import { fromErrorEnvelope, toErrorEnvelope } from './error-envelope';

describe('error envelope', () => {
  const cross = (err: unknown): Error => fromErrorEnvelope(structuredClone(toErrorEnvelope(err)));

  it('rebuilds the same typed class with code, message and details', () => {
    const back = cross(new ImageDecodeError('image_too_large', 'too big', { limitInputPixels: 4 }));
    expect(back).toBeInstanceOf(ImageDecodeError);
    expect(back).toMatchObject({ name: 'ImageDecodeError', code: 'image_too_large', message: 'too big', details: { limitInputPixels: 4 } });
  });

  it('keeps the file of a corrupt artifact and backbone errors', () => {
    const back = cross(new CorruptArtifactError('/m/a.npz', 'truncated'));
    expect(back).toBeInstanceOf(CorruptArtifactError);
    expect((back as CorruptArtifactError).file).toBe('/m/a.npz');
    expect(cross(new BackboneError('cuda_required'))).toBeInstanceOf(BackboneError);
    expect(cross(new TokenGridMismatchError('x'))).toMatchObject({ code: 'token_grid_mismatch' });
  });

  it('turns untyped errors into internal_error', () => {
    const back = cross(new TypeError('boom'));
    expect(back).toMatchObject({ code: 'internal_error', message: 'boom' });
    expect(cross('weird')).toMatchObject({ code: 'internal_error', message: 'weird' });
  });
});
