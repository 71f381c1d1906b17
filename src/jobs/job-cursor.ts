// Opaque keyset cursor of GET /jobs: base64url of "j1:<creation sequence of the last item returned>". A page is
// "jobs created before that one", so creating or evicting jobs between two fetches never shifts or repeats items.
const PREFIX = 'j1:';

export function encodeJobCursor(seq: number): string {
  return Buffer.from(`${PREFIX}${seq}`, 'utf8').toString('base64url');
}

/** The sequence inside a cursor, or null when the string is not a cursor this service issued. */
export function decodeJobCursor(cursor: string): number | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^j1:([1-9][0-9]{0,15})$/.exec(text);
  if (!match || encodeJobCursor(Number(match[1])) !== cursor) return null;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) ? seq : null;
}
