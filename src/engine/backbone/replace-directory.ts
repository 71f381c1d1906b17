// Installs a directory all at once: files are written into a sibling temp directory, fsynced, and swapped in by
// rename, so a crash or a concurrent reader never sees a half-written backbone.
import { chmodSync, closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function replaceDirectory(target: string, populate: (tempDir: string) => void): void {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const temp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    chmodSync(temp, 0o755); // mkdtemp creates 0700; the service may run as another user
    populate(temp);
    for (const name of readdirSync(temp)) fsync(join(temp, name));
    fsync(temp);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
  // rename() cannot replace a non-empty directory: move the old one aside first, then drop it.
  const old = join(parent, `.${basename(target)}.old-${process.pid}-${Date.now()}`);
  let hadOld = false;
  try {
    renameSync(target, old);
    hadOld = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    renameSync(temp, target);
  } catch (err) {
    if (hadOld) renameSync(old, target);
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
  if (hadOld) rmSync(old, { recursive: true, force: true });
  fsync(parent);
}

function fsync(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
