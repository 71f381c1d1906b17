// The one way this service writes a file: temp file in the same directory, fsync, rename over the target, fsync
// the directory. A crash leaves either the old file or the new one, never a torn one.
import { randomBytes } from 'node:crypto';
import { Dirent, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { rethrowIfStorageFull } from '../common/errors/storage-full';

export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(target);
  try {
    await writeAndRename(dir, target, data);
  } catch (error) {
    rethrowIfStorageFull(error, dir, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  }
  await syncDirectory(dir);
}

async function writeAndRename(dir: string, target: string, data: Uint8Array | string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // (isAtomicTempName below must keep matching this name: the startup sweep relies on it.)
  const handle = await fsp.open(temp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, target);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
}

/** fsync of a directory makes a rename durable; some filesystems refuse it, which is not an error here. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EINVAL/EPERM on some platforms: best effort.
  } finally {
    await handle?.close();
  }
}

/** Names writeFileAtomic gives its temp files: `.<target>.<pid>.<12 hex>.tmp`. */
const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

export function isAtomicTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * Removes writeFileAtomic temp files left by a killed process anywhere under `root`, when last modified before
 * `olderThanMs` (the current process's start: a live writer's temp file is newer). Symbolic links are neither
 * followed nor removed. Returns the removed paths.
 */
export async function sweepStaleTempFiles(root: string, olderThanMs: number): Promise<string[]> {
  const removed: string[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      continue; // vanished or unreadable: nothing of ours to clean there
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile() && isAtomicTempName(entry.name)) {
        try {
          const stats = await fsp.lstat(full);
          if (stats.isFile() && stats.mtimeMs < olderThanMs) {
            await fsp.rm(full, { force: true });
            removed.push(full);
          }
        } catch {
          // removed concurrently
        }
      }
    }
  }
  return removed.sort();
}
