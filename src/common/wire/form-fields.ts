// DTO field decorators with the original's FastAPI semantics (reference §0.5), for form bodies, query strings and
// JSON task payloads: required empty → 422 "Field required", optional empty → absent, Python float() strings, the
// pydantic boolean words, repeated parts (the last one counts, as Starlette's FormData.get), files as their own
// parts. Each decorator is a @Coerce (raw value → typed value or an InvalidField) plus one
// class-validator constraint that reports it, so every failure is one {loc, field, message} of the 422 body.
import { ValidateBy, ValidationArguments } from 'class-validator';
import { Coerce } from '../validation/coerce';
import { parseBoolWord, parsePythonFloat } from './python-values';
import { normaliseRecipeId } from './recipe-id';
import { isUploadedPart, UploadedPart } from './uploaded-part';

/** Where a value comes from: a form body or query string (text, repeated = array), or JSON (typed values). */
export type FieldSource = 'form' | 'json';

/** A value that is present but unusable, with the message the 422 names it with. */
export class InvalidField {
  constructor(readonly message: string) {}
}

const REQUIRED = 'Field required';

/**
 * A field parsed by `parse` (raw wire value → value, undefined when absent, or an InvalidField): the parsed value
 * reaches the handler; absent fails only a required field; an InvalidField always fails with its message.
 */
export function WireField(required: boolean, parse: (raw: unknown) => unknown): PropertyDecorator {
  const transform = Coerce(parse);
  const validate = ValidateBy({
    name: 'wireField',
    validator: {
      validate: (value: unknown) => !(value instanceof InvalidField) && !(required && value === undefined),
      defaultMessage: (args?: ValidationArguments) => (args?.value instanceof InvalidField ? args.value.message : REQUIRED),
    },
  });
  return (target, key) => {
    transform(target, key);
    validate(target, key);
  };
}

/** Text values of a form/query field in order (file parts of the same name are not text). */
function texts(raw: unknown): string[] {
  const values = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  return values.filter((v) => !isUploadedPart(v)).map((v) => String(v));
}

function last(raw: unknown, from: FieldSource): unknown {
  if (from === 'json') return raw;
  const all = texts(raw);
  return all.length === 0 ? undefined : all[all.length - 1];
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

export interface TextOptions {
  required?: boolean;
  from: FieldSource;
  /** Query strings: `role_id=` is a value (the original accepted it); elsewhere empty means absent. */
  keepEmpty?: boolean;
  /** The JSON routes' `str(value)` for non-string values; without it a JSON non-string is a 422. */
  stringify?: boolean;
}

export function TextField(options: TextOptions): PropertyDecorator {
  return WireField(options.required ?? false, (raw) => {
    const value = last(raw, options.from);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') return options.stringify ? String(value) : new InvalidField('Input should be a valid string');
    return value === '' && !options.keepEmpty ? undefined : value;
  });
}

/** Python float() of text, or a JSON number; NaN and ±inf pass (the mm_per_px check answers them). */
export function NumberField(options: { required?: boolean; from: FieldSource }): PropertyDecorator {
  return WireField(options.required ?? false, (raw) => {
    const value = last(raw, options.from);
    if (isEmpty(value)) return undefined;
    if (typeof value === 'number') return value;
    const parsed = typeof value === 'string' ? parsePythonFloat(value) : undefined;
    return parsed ?? new InvalidField('Input should be a valid number, unable to parse string as a number');
  });
}

/** pydantic's boolean words of text, or a JSON boolean. */
export function BoolField(options: { from: FieldSource }): PropertyDecorator {
  return WireField(false, (raw) => {
    const value = last(raw, options.from);
    if (isEmpty(value)) return undefined;
    if (typeof value === 'boolean') return value;
    const parsed = typeof value === 'string' ? parseBoolWord(value) : undefined;
    return parsed ?? new InvalidField('Input should be a valid boolean, unable to interpret input');
  });
}

/** Every text value of a repeated form field (e.g. one `metas` part per image). */
export function TextListField(): PropertyDecorator {
  return WireField(false, (raw) => texts(raw));
}

/** The uploaded files of a multipart field (parts with a filename), in order. */
export function FilesField(options: { required?: boolean }): PropertyDecorator {
  return WireField(options.required ?? false, (raw) => {
    const values = Array.isArray(raw) ? raw : [raw];
    const files = values.filter(isUploadedPart) as UploadedPart[];
    return files.length === 0 ? undefined : files;
  });
}

/** A recipe id in a JSON task payload: normalised, or a 422 naming the rule it breaks. */
export function RecipeIdField(): PropertyDecorator {
  return WireField(false, (raw) => {
    try {
      return normaliseRecipeId(typeof raw === 'string' && raw !== '' ? raw : undefined);
    } catch (error) {
      return new InvalidField((error as Error).message);
    }
  });
}

/** `model_key or roi_id`: the model a request names. */
export function effectiveModelKey(modelKey: unknown, roiId: string): string {
  return typeof modelKey === 'string' && modelKey !== '' ? modelKey : roiId;
}
