// Human-readable log lines for a person at a terminal (LOG_FORMAT=pretty, or auto on a TTY): pino still builds the
// JSON line, and this destination rewrites it as
//   12:03:04.567 WARN  POST /infer 422 3 ms validation_error  requestId=4f1c…
// with the remaining fields as key=value and an error's stack indented below. Log collectors get JSON (LOG_FORMAT=json,
// or auto when stdout is not a terminal).
import type { LogFormat } from '../../config/app-config';

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '\x1b[90m' },
  20: { name: 'DEBUG', color: '\x1b[36m' },
  30: { name: 'INFO', color: '\x1b[32m' },
  40: { name: 'WARN', color: '\x1b[33m' },
  50: { name: 'ERROR', color: '\x1b[31m' },
  60: { name: 'FATAL', color: '\x1b[1;31m' },
};
const DIM = '\x1b[90m';
const RESET = '\x1b[0m';

/** Fields said by the line itself (time, level, message) or by every line (pid, service), and the request line's
 * method/url/status/time, which its message already reads. */
const HIDDEN = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'service', 'req', 'res', 'responseTime', 'err']);

export interface PrettyOptions {
  /** ANSI colours (a terminal). */
  colors: boolean;
}

/** Whether the process logs human-readable lines: LOG_FORMAT, with `auto` = stdout is a terminal. */
export function isPrettyLogFormat(format: LogFormat, stdoutIsTty: boolean = Boolean(process.stdout.isTTY)): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty);
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

/** One pino JSON line → one readable line (plus an error's stack); a line that is not JSON passes unchanged. */
export function formatPrettyLine(line: string, options: PrettyOptions): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return `${line.trimEnd()}\n`;
  const paint = (color: string, text: string) => (options.colors ? `${color}${text}${RESET}` : text);
  const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level ?? '?').toUpperCase(), color: '' };
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const fields = Object.entries(entry)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${fieldValue(value)}`);
  const message = typeof entry.msg === 'string' ? entry.msg : '';
  let out = `${paint(DIM, time)} ${paint(level.color, level.name.padEnd(5))} ${message}`;
  if (fields.length > 0) out += `  ${paint(DIM, fields.join(' '))}`;
  const err = entry.err as { type?: string; message?: string; stack?: string; code?: string } | undefined;
  if (err && typeof err === 'object') {
    const stack = typeof err.stack === 'string' ? err.stack : `${err.type ?? 'Error'}: ${err.message ?? ''}`;
    out += `\n${stack.split('\n').map((l) => `    ${l}`).join('\n')}`;
    if (err.code !== undefined) out += `\n    code=${fieldValue(err.code)}`;
  }
  return `${out}\n`;
}

/** A pino destination writing readable lines to `out` (stdout by default), synchronously like pino's own. */
export function prettyDestination(options: PrettyOptions, out: { write(chunk: string): unknown } = process.stdout): { write(line: string): void } {
  return {
    write(line: string): void {
      out.write(formatPrettyLine(line, options));
    },
  };
}
