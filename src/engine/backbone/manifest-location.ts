// Where installed backbones live: <modelsDir>/backbones/<name>/backbone.json (+ its model file).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BackboneError } from './backbone-error';
import { MANIFEST_FILE_NAME } from './manifest';

/** The backbone the project generates itself (scripts/generate-default-backbone.ts); used when none is named. */
export const BUILTIN_BACKBONE_NAME = 'builtin-texture';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function backboneDirectory(modelsDir: string, name: string): string {
  // The name may come from the environment; never let it escape the backbones directory.
  if (!NAME_PATTERN.test(name) || name.includes('..')) {
    throw new BackboneError('backbone_not_found', `Invalid backbone name "${name}"`, { name });
  }
  return join(resolve(modelsDir), 'backbones', name);
}

/** Path of an installed backbone's manifest; throws `backbone_not_found` (with a hint) when it is absent. */
export function resolveBackboneManifest(modelsDir: string, name: string = BUILTIN_BACKBONE_NAME): string {
  const manifestPath = join(backboneDirectory(modelsDir, name), MANIFEST_FILE_NAME);
  if (!existsSync(manifestPath)) {
    const hint =
      name === BUILTIN_BACKBONE_NAME
        ? 'generate it with `npm run backbone:generate`'
        : 'install it with `npm run backbone:install` (see models/backbones/README.md)';
    throw new BackboneError('backbone_not_found', `Backbone "${name}" not found at ${manifestPath}: ${hint}`, {
      name,
      path: manifestPath,
    });
  }
  return manifestPath;
}
