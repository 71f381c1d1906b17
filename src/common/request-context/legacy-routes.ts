// Paths of the BrakeDiscInspector-compatible surface; their errors carry the legacy keys the GUI reads.
const LEGACY_PATHS = new Set([
  '/health',
  '/fit_ok',
  '/calibrate_ng',
  '/infer',
  '/infer_dataset',
  '/calibrate_dataset',
  '/manifest',
  '/state',
  '/datasets/ok/upload',
  '/datasets/ng/upload',
  '/datasets/list',
  '/datasets/file',
  '/datasets/meta',
  '/datasets/clear',
]);

export function isLegacyInspectionPath(path: string): boolean {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return LEGACY_PATHS.has(trimmed);
}
