// Reading form/query/JSON fields with the original's FastAPI semantics (reference §0.5): required empty → 422,
// optional empty → absent, Python float() strings, the pydantic boolean words, repeated parts, text parts that
// arrive as files. Errors are collected and thrown as one 422 naming every field.
import { ApiError } from '../common/errors/api-error';

export interface UploadedPart {
  fieldname: string;
  originalname?: string;
  mimetype?: string;
  buffer: Buffer;
  size: number;
}

const TRUE_WORDS = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'f', 'no', 'n', 'off']);
const PY_FLOAT = /^[+-]?((\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+(_\d+)*)?|inf(inity)?|nan)$/i;

/** Python float(text) (underscores, inf, nan); undefined when Python would raise. */
export function parsePythonFloat(text: string): number | undefined {
  const s = text.trim();
  if (!PY_FLOAT.test(s)) return undefined;
  const lower = s.toLowerCase().replace(/_/g, '');
  if (lower.endsWith('nan')) return NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(lower);
}

/** pydantic's string booleans (case-insensitive); undefined for anything else. */
export function parseBoolWord(text: string): boolean | undefined {
  const s = text.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  return undefined;
}

type Location = 'body' | 'query';

export class FieldReader {
  private readonly errors: Array<{ loc: string[]; field: string; message: string }> = [];

  constructor(
    private readonly values: Record<string, unknown>,
    private readonly loc: Location,
    private readonly parts: UploadedPart[] = [],
  ) {}

  /** Every value sent under `name`, text parts included (busboy calls a part without filename a file only when its type is octet-stream). */
  all(name: string): string[] {
    const raw = this.values[name];
    const out: string[] = [];
    if (Array.isArray(raw)) out.push(...raw.map((v) => String(v)));
    else if (raw !== undefined && raw !== null) out.push(String(raw));
    for (const part of this.parts) {
      if (part.fieldname === name && part.originalname === undefined) out.push(part.buffer.toString('utf8'));
    }
    return out;
  }

  /** The last value, as Starlette's FormData.get. */
  raw(name: string): string | undefined {
    const all = this.all(name);
    return all.length === 0 ? undefined : all[all.length - 1];
  }

  requiredString(name: string): string {
    const value = this.raw(name);
    if (value === undefined || (this.loc === 'body' && value === '')) {
      this.fail(name, 'Field required');
      return '';
    }
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.raw(name);
    return value === undefined || value === '' ? undefined : value;
  }

  requiredFloat(name: string): number {
    const value = this.raw(name);
    if (value === undefined || value === '') {
      this.fail(name, 'Field required');
      return NaN;
    }
    const parsed = parsePythonFloat(value);
    if (parsed === undefined) {
      this.fail(name, 'Input should be a valid number, unable to parse string as a number');
      return NaN;
    }
    return parsed;
  }

  optionalBool(name: string): boolean | undefined {
    const value = this.optionalString(name);
    if (value === undefined) return undefined;
    const parsed = parseBoolWord(value);
    if (parsed === undefined) this.fail(name, 'Input should be a valid boolean, unable to interpret input');
    return parsed;
  }

  /** Uploaded files (parts with a filename) of a field. */
  files(name: string, required: boolean): UploadedPart[] {
    const files = this.parts.filter((p) => p.fieldname === name && p.originalname !== undefined);
    if (required && files.length === 0) this.fail(name, 'Field required');
    return files;
  }

  fail(name: string, message: string): void {
    this.errors.push({ loc: [this.loc, name], field: name, message });
  }

  /** Throws the collected errors as one 422. */
  done(): void {
    if (this.errors.length > 0) throw new ApiError('validation_error', undefined, { errors: this.errors });
  }
}

/** A JSON body endpoint of the original takes any object (Dict[str, Any]); anything else is a 422. */
export function requireJsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('validation_error', undefined, {
      errors: [{ loc: ['body'], field: 'body', message: 'Input should be a valid dictionary' }],
    });
  }
  return body as Record<string, unknown>;
}
