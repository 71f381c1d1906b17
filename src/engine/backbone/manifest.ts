// The backbone manifest (`backbone.json` beside `model.onnx`): how to feed the model and how to turn its
// outputs into one patch-feature grid. Validated strictly so a typo fails at load, naming the field.
import type { FeatureNormalisation } from '../profile/detector-profile';
import { BackboneError } from './backbone-error';

export const MANIFEST_FILE_NAME = 'backbone.json';
export const DEFAULT_MODEL_FILE_NAME = 'model.onnx';

export interface BackboneInputSpec {
  /** Name of the model's image input. */
  name: string;
  width: number;
  height: number;
  layout: 'NCHW';
  colour: 'RGB' | 'BGR';
  /** Applied first: x = pixel * scale (1/255 maps 8-bit to [0, 1]). */
  scale: number;
  /** Then per channel (in the model's colour order): (x - mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
  /** The model takes any height/width that are multiples of patchStride (dynamic axes); width/height above are
   *  then the nominal size ('letterbox' sizing). */
  resizable?: boolean;
}

/** ViT tokens `[1, T, C]`: the first `prefixTokens` (CLS + registers) are dropped, the rest form the grid. */
export interface TokenOutputSpec {
  name: string;
  layout: 'tokens';
  prefixTokens: number;
}

/** CNN feature map `[1, C, h, w]`. */
export interface NchwOutputSpec {
  name: string;
  layout: 'nchw';
}

export type BackboneOutputSpec = TokenOutputSpec | NchwOutputSpec;

export interface CombineSpec {
  mode: 'concat';
  /** Which output's grid the others are bilinearly resampled to. */
  grid: 'first' | 'finest' | 'coarsest';
  /** k×k local average of each map before combining (PatchCore's 3×3 for CNN maps); 1 = none. */
  neighbourhoodAverage: number;
}

export interface BackboneManifest {
  name: string;
  version: string;
  description: string;
  /** Model file name in the manifest's directory. */
  model: string;
  input: BackboneInputSpec;
  /** Input pixels per grid cell; the combined grid is (height / patchStride) × (width / patchStride). */
  patchStride: number;
  /** Optional declared feature dimension, checked against the model at load. */
  dim?: number;
  outputs: BackboneOutputSpec[];
  combine: CombineSpec;
  /** How feature blocks (one per output) are weighted and normalised when a model has no tuned profile;
   *  absent: weight 1, no floor, whole-row L2 norm (the original's). */
  normalisation?: FeatureNormalisation;
  /** Free-form provenance (e.g. the generator options of the built-in backbone). */
  generator?: Record<string, unknown>;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Validates parsed JSON into a manifest; `source` names the file in error messages. */
export function parseBackboneManifest(json: unknown, source = MANIFEST_FILE_NAME): BackboneManifest {
  const root = new Fields(json, '', source);
  root.only(['name', 'version', 'description', 'model', 'input', 'patchStride', 'dim', 'outputs', 'combine', 'normalisation', 'generator']);
  const name = root.string('name');
  if (!NAME_PATTERN.test(name)) root.fail('name', 'must be 1-64 characters of [A-Za-z0-9._-], starting alphanumeric');
  const model = root.optionalString('model') ?? DEFAULT_MODEL_FILE_NAME;
  if (!FILE_PATTERN.test(model) || model.includes('..')) root.fail('model', 'must be a plain file name in the manifest directory');

  const inputFields = root.object('input');
  inputFields.only(['name', 'width', 'height', 'layout', 'colour', 'scale', 'mean', 'std', 'resizable']);
  const input: BackboneInputSpec = {
    name: inputFields.string('name'),
    width: inputFields.integer('width', 1, 8192),
    height: inputFields.integer('height', 1, 8192),
    layout: inputFields.oneOf('layout', ['NCHW'] as const),
    colour: inputFields.oneOf('colour', ['RGB', 'BGR'] as const),
    scale: inputFields.positive('scale'),
    mean: inputFields.triple('mean', false),
    std: inputFields.triple('std', true),
  };
  if (inputFields.optionalBoolean('resizable')) input.resizable = true;

  const patchStride = root.integer('patchStride', 1, 1024);
  if (input.width % patchStride !== 0) root.fail('patchStride', `must divide input.width (${input.width})`);
  if (input.height % patchStride !== 0) root.fail('patchStride', `must divide input.height (${input.height})`);

  const outputs = root.array('outputs').map((fields): BackboneOutputSpec => {
    const outputName = fields.string('name');
    const layout = fields.oneOf('layout', ['tokens', 'nchw'] as const);
    if (layout === 'nchw') {
      fields.only(['name', 'layout']);
      return { name: outputName, layout };
    }
    fields.only(['name', 'layout', 'prefixTokens']);
    return { name: outputName, layout, prefixTokens: fields.integer('prefixTokens', 0, 1024) };
  });
  if (outputs.length === 0) root.fail('outputs', 'must list at least one output');
  const seen = new Set<string>();
  for (const [i, output] of outputs.entries()) {
    if (seen.has(output.name)) root.fail(`outputs[${i}].name`, `duplicates "${output.name}"`);
    seen.add(output.name);
  }

  const combineFields = root.object('combine');
  combineFields.only(['mode', 'grid', 'neighbourhoodAverage']);
  const combine: CombineSpec = {
    mode: combineFields.oneOf('mode', ['concat'] as const),
    grid: combineFields.oneOf('grid', ['first', 'finest', 'coarsest'] as const),
    neighbourhoodAverage: combineFields.integer('neighbourhoodAverage', 1, 15),
  };
  if (combine.neighbourhoodAverage % 2 === 0) combineFields.fail('neighbourhoodAverage', 'must be odd (a centred window)');

  const manifest: BackboneManifest = {
    name,
    version: root.string('version'),
    description: root.optionalString('description') ?? '',
    model,
    input,
    patchStride,
    outputs,
    combine,
  };
  const dim = root.optionalInteger('dim', 1, 1 << 16);
  if (dim !== undefined) manifest.dim = dim;
  const normalisation = root.optionalObject('normalisation');
  if (normalisation !== undefined) {
    const fields = root.object('normalisation');
    fields.only(['weights', 'floors', 'unitNorm']);
    manifest.normalisation = {
      weights: fields.numbers('weights', outputs.length),
      floors: fields.numbers('floors', outputs.length),
      unitNorm: fields.optionalBoolean('unitNorm') ?? true,
    };
  }
  const generator = root.optionalObject('generator');
  if (generator !== undefined) manifest.generator = generator;
  return manifest;
}

/** Reads fields of one JSON object, failing with the dotted path of the offending field. */
class Fields {
  private readonly value: Record<string, unknown>;

  constructor(value: unknown, private readonly path: string, private readonly source: string) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.failAt(path || '(root)', 'must be a JSON object');
    }
    this.value = value as Record<string, unknown>;
  }

  fail(key: string, problem: string): never {
    return this.failAt(this.at(key), problem);
  }

  only(allowed: string[]): void {
    for (const key of Object.keys(this.value)) {
      if (!allowed.includes(key)) this.fail(key, `is not a known field (allowed: ${allowed.join(', ')})`);
    }
  }

  string(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string' || v.length === 0) this.fail(key, 'must be a non-empty string');
    return v;
  }

  optionalString(key: string): string | undefined {
    return this.value[key] === undefined ? undefined : this.string(key);
  }

  integer(key: string, min: number, max: number): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(key, `must be an integer in [${min}, ${max}]`);
    }
    return v;
  }

  optionalInteger(key: string, min: number, max: number): number | undefined {
    return this.value[key] === undefined ? undefined : this.integer(key, min, max);
  }

  optionalBoolean(key: string): boolean | undefined {
    const v = this.value[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(key, 'must be true or false');
    return v;
  }

  /** Exactly `count` finite non-negative numbers. */
  numbers(key: string, count: number): number[] {
    const v = this.value[key];
    if (!Array.isArray(v) || v.length !== count || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
      this.fail(key, `must be an array of ${count} non-negative numbers (one per output)`);
    }
    return v as number[];
  }

  positive(key: string): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(key, 'must be a positive number');
    return v;
  }

  triple(key: string, positive: boolean): [number, number, number] {
    const v = this.value[key];
    const ok =
      Array.isArray(v) &&
      v.length === 3 &&
      v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (!ok) this.fail(key, `must be an array of 3 ${positive ? 'positive ' : ''}numbers`);
    return [v[0], v[1], v[2]] as [number, number, number];
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.value[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(key, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    }
    return v as T;
  }

  object(key: string): Fields {
    return new Fields(this.value[key], this.at(key), this.source);
  }

  optionalObject(key: string): Record<string, unknown> | undefined {
    const v = this.value[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(key, 'must be a JSON object');
    return v as Record<string, unknown>;
  }

  array(key: string): Fields[] {
    const v = this.value[key];
    if (!Array.isArray(v)) this.fail(key, 'must be an array');
    return v.map((item, i) => new Fields(item, `${this.at(key)}[${i}]`, this.source));
  }

  private at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  private failAt(field: string, problem: string): never {
    throw new BackboneError('backbone_invalid_manifest', `${this.source}: ${field} ${problem}`, { field });
  }
}
