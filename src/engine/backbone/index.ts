// Public surface of the backbone module (used by the worker and the tooling scripts).
export { Backbone, type BackboneInfo, type LoadBackboneOptions } from './backbone';
export { BackboneError, BACKBONE_ERRORS, type BackboneErrorCode } from './backbone-error';
export { BUILTIN_BACKBONE_NAME, backboneDirectory, resolveBackboneManifest } from './manifest-location';
export {
  MANIFEST_FILE_NAME,
  parseBackboneManifest,
  type BackboneManifest,
  type BackboneInputSpec,
  type BackboneOutputSpec,
  type CombineSpec,
} from './manifest';
export type { DeviceRequest } from './execution-device';
