// Python's repr() of a float and json.dumps(indent=2, ensure_ascii=True) for the files and messages the original
// wrote: the GUI and Python tooling read `0.2`, `1.0`, `1e-05` — JS's String(1) would say `1`.

/** repr(float(x)) as CPython prints it: shortest round-trip digits, `.0` on integral values, `e±XX` exponents. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip, like CPython's 'r' mode.
  const [mantissa, expText] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(expText);
  if (exponent < -4 || exponent >= 16) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${head}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fracPart = digits.slice(exponent + 1);
  return `${sign}${intPart}.${fracPart === '' ? '0' : fracPart}`;
}

/** Marks a number that Python held as a float (so it serialises as `1.0`, not `1`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

function escapeAscii(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function dumpValue(value: unknown, indent: string, step: string): string {
  if (value instanceof PyFloat) {
    // Python's json writes NaN/Infinity literals; keep them parseable by Python (JS JSON.parse would reject them).
    if (Number.isNaN(value.value)) return 'NaN';
    if (!Number.isFinite(value.value)) return value.value > 0 ? 'Infinity' : '-Infinity';
    return pythonFloatRepr(value.value);
  }
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloatRepr(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return escapeAscii(value);
  const inner = indent + step;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + dumpValue(v, inner, step)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${inner}${escapeAscii(k)}: ${dumpValue(v, inner, step)}`).join(',\n')}\n${indent}}`;
  }
  return escapeAscii(String(value));
}

/**
 * json.dumps(obj, indent=2) with ensure_ascii: non-integral numbers print in Python float repr; wrap a number in
 * PyFloat to force the float form of an integral value (`1.0`).
 */
export function pythonJsonDumps(value: unknown): string {
  return dumpValue(value, '', '  ');
}

/** datetime.utcnow().isoformat() + "Z": microseconds, fraction omitted when it is zero. */
export function pythonUtcIso(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const micros = epochMicros - ms * 1000;
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const base = iso.slice(0, 19);
  const fraction = Number(iso.slice(20, 23)) * 1000 + micros;
  return fraction === 0 ? `${base}Z` : `${base}.${String(fraction).padStart(6, '0')}Z`;
}
