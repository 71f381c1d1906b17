// Idempotency fingerprint: sha256 over canonical JSON (object keys sorted at every level), so the same request
// written with its keys in another order is still "the same payload".
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function payloadFingerprint(task: string, payload: unknown): string {
  return createHash('sha256').update(canonicalJson({ task, payload })).digest('hex');
}
