// Loader and typed surface of the project's own N-API addon (native/): coreset selection and random projection
// in C++, and thread caps for OpenMP/OpenBLAS inside workers.
import { join } from 'node:path';
import { NativeUnavailableError } from './engine-error';
import { repoRoot } from './repo-root';

export interface KCenterNativeResult {
  /** Selected row indices, selection order. */
  indices: Int32Array;
  /** Covering radius (max over rows of the distance to the nearest selected row), in the selection space. */
  radius: number;
  distanceEvaluations: number;
  /** True when the abort flag stopped the selection early (indices are then incomplete). */
  aborted: boolean;
}

export interface NativeAddon {
  kCenterGreedy(
    data: Float32Array,
    n: number,
    d: number,
    m: number,
    start: number,
    abortFlag?: Int32Array,
    threads?: number,
  ): KCenterNativeResult;
  projectRows(data: Float32Array, n: number, d: number, proj: Float32Array, k: number): Float32Array;
  setThreads(n: number): void;
  getThreads(): { omp: number; openblas: number };
}

let addon: NativeAddon | null = null;

export function nativeAddonPath(): string {
  return join(repoRoot(), 'native', 'build', 'Release', 'bdi_native.node');
}

export function loadNativeAddon(): NativeAddon {
  if (addon) return addon;
  const path = nativeAddonPath();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(path) as NativeAddon;
  } catch (err) {
    throw new NativeUnavailableError(`Native addon not built (${path}); run \`npm run build:native\`: ${(err as Error).message}`, { path });
  }
  return addon;
}
