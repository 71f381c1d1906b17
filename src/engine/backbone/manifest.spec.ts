import { BackboneError } from './backbone-error';
import { parseBackboneManifest } from './manifest';

function dinov2(): Record<string, unknown> {
  return {
    name: 'dinov2-vits14',
    version: '1',
    input: { name: 'pixel_values', width: 448, height: 448, layout: 'NCHW', colour: 'RGB', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    patchStride: 14,
    outputs: [9, 10, 11].map((b) => ({ name: `block${b}`, layout: 'tokens', prefixTokens: 1 })),
    combine: { mode: 'concat', grid: 'first', neighbourhoodAverage: 1 },
  };
}

function failure(json: unknown): BackboneError {
  try {
    parseBackboneManifest(json, 'backbone.json');
  } catch (err) {
    if (err instanceof BackboneError) return err;
    throw err;
  }
  throw new Error('manifest was accepted');
}

describe('parseBackboneManifest', () => {
  it('accepts the DINOv2 blocks 9–11 manifest and fills defaults', () => {
    const manifest = parseBackboneManifest(dinov2());
    expect(manifest.model).toBe('model.onnx');
    expect(manifest.description).toBe('');
    expect(manifest.outputs).toEqual([
      { name: 'block9', layout: 'tokens', prefixTokens: 1 },
      { name: 'block10', layout: 'tokens', prefixTokens: 1 },
      { name: 'block11', layout: 'tokens', prefixTokens: 1 },
    ]);
    expect(manifest.dim).toBeUndefined();
  });

  it.each([
    ['a missing input mean', (m: Record<string, any>) => delete m.input.mean, 'input.mean must be an array of 3 numbers'],
    ['a zero std', (m: Record<string, any>) => (m.input.std = [0.2, 0, 0.2]), 'input.std must be an array of 3 positive numbers'],
    ['an unknown layout', (m: Record<string, any>) => (m.input.layout = 'NHWC'), 'input.layout must be one of "NCHW"'],
    ['a negative prefix', (m: Record<string, any>) => (m.outputs[1].prefixTokens = -1), 'outputs[1].prefixTokens must be an integer'],
    ['a stride not dividing the width', (m: Record<string, any>) => (m.input.width = 450), 'patchStride must divide input.width (450)'],
    ['an unknown field', (m: Record<string, any>) => (m.combine.mode2 = 'x'), 'combine.mode2 is not a known field'],
    ['an even neighbourhood', (m: Record<string, any>) => (m.combine.neighbourhoodAverage = 2), 'combine.neighbourhoodAverage must be odd'],
    ['duplicate outputs', (m: Record<string, any>) => (m.outputs[2].name = 'block9'), 'outputs[2].name duplicates "block9"'],
    ['a model path outside the directory', (m: Record<string, any>) => (m.model = '../x.onnx'), 'model must be a plain file name'],
    ['no outputs', (m: Record<string, any>) => (m.outputs = []), 'outputs must list at least one output'],
    ['a missing version', (m: Record<string, any>) => delete m.version, 'version must be a non-empty string'],
  ])('rejects %s, naming the field', (_label, mutate, message) => {
    const json = dinov2();
    mutate(json);
    const err = failure(json);
    expect(err.code).toBe('backbone_invalid_manifest');
    expect(err.message).toContain(`backbone.json: ${message}`);
  });

  it('rejects a manifest that is not an object', () => {
    expect(failure([1, 2]).message).toBe('backbone.json: (root) must be a JSON object');
  });
});
