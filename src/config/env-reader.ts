import { ConfigError } from './config-error';

export type Env = Record<string, string | undefined>;

/**
 * Reads typed values from an environment record. Each getter takes the variable names in precedence order
 * (current name first, legacy aliases after) and reports errors under the name that was actually set.
 */
export class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly fallbacks: Record<string, unknown> = {},
  ) {}

  /** First non-empty value among the names, with the name it came from. */
  raw(names: string[]): { name: string; value: string } | undefined {
    for (const name of names) {
      const value = this.env[name];
      if (value !== undefined && value.trim() !== '') return { name, value: value.trim() };
    }
    for (const name of names) {
      const value = this.fallbacks[name];
      if (value !== undefined && value !== null && String(value).trim() !== '') {
        return { name: `${name} (configs)`, value: String(value).trim() };
      }
    }
    return undefined;
  }

  string(names: string[], fallback: string): string {
    return this.raw(names)?.value ?? fallback;
  }

  optionalString(names: string[]): string | null {
    return this.raw(names)?.value ?? null;
  }

  number(names: string[], fallback: number, range: { min?: number; max?: number; integer?: boolean } = {}): number {
    const found = this.raw(names);
    if (!found) return fallback;
    const value = Number(found.value);
    const kind = range.integer ? 'an integer' : 'a number';
    if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value))) {
      throw new ConfigError(found.name, `must be ${kind}, got '${found.value}'`);
    }
    if (range.min !== undefined && value < range.min) {
      throw new ConfigError(found.name, `must be >= ${range.min}, got ${found.value}`);
    }
    if (range.max !== undefined && value > range.max) {
      throw new ConfigError(found.name, `must be <= ${range.max}, got ${found.value}`);
    }
    return value;
  }

  boolean(names: string[], fallback: boolean): boolean {
    const found = this.raw(names);
    if (!found) return fallback;
    const value = found.value.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    throw new ConfigError(found.name, `must be a boolean (1/0, true/false, yes/no, on/off), got '${found.value}'`);
  }

  oneOf<T extends string>(names: string[], allowed: readonly T[], fallback: T): T {
    const found = this.raw(names);
    if (!found) return fallback;
    const value = found.value.toLowerCase() as T;
    if (!allowed.includes(value)) {
      throw new ConfigError(found.name, `must be one of ${allowed.join('|')}, got '${found.value}'`);
    }
    return value;
  }
}
