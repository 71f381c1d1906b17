// The content version of a model: `sha256:<hex>` of its npz bytes, written after the npz into a small sidecar
// (`<base>_version.json`) that every worker of every node reads to key its loaded model (memory-cache.ts).
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync } from 'node:fs';

export function modelVersionOf(npzBytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(npzBytes).digest('hex')}`;
}

/** `<base>.npz` → `<base>_version.json` (legacy `memory.npz` → `memory_version.json`). */
export function modelVersionPath(npzPath: string): string {
  return `${npzPath.replace(/\.npz$/i, '')}_version.json`;
}

/** The `version` of a model's sidecar; null when there is none or it is unreadable. Never follows a symlink. */
export function readModelVersion(versionPath: string): string | null {
  let fd: number;
  try {
    fd = openSync(versionPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(readFileSync(fd, 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

