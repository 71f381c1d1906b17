// Locates the repository root both from ts-jest (src/engine/*.ts) and from compiled code (dist/src/engine/*.js),
// so workers and the native addon resolve to the same files either way.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | null = null;

export function repoRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    // dist/ has no package.json, so the first one going up is the repository's.
    if (existsSync(join(dir, 'package.json'))) return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${__dirname}`);
    dir = parent;
  }
}
