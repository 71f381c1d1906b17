// Installs an ONNX backbone after checking it against its manifest (session load, one dummy forward, output
// shapes and token grid), copying model + manifest atomically into <models>/backbones/<name>/.
//   npm run backbone:install -- --onnx <file> --manifest <json> [--name N] [--models-dir DIR]
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Backbone } from '../src/engine/backbone/backbone';
import { BackboneError } from '../src/engine/backbone/backbone-error';
import { backboneDirectory } from '../src/engine/backbone/manifest-location';
import { DEFAULT_MODEL_FILE_NAME, MANIFEST_FILE_NAME, parseBackboneManifest } from '../src/engine/backbone/manifest';
import { replaceDirectory } from '../src/engine/backbone/replace-directory';

interface Args {
  onnx: string;
  manifest: string;
  name?: string;
  modelsDir: string;
}

const USAGE = 'usage: npm run backbone:install -- --onnx <model.onnx> --manifest <backbone.json> [--name N] [--models-dir DIR]';

function parseArgs(argv: string[]): Args {
  const found: Partial<Args> = { modelsDir: process.env.BDI_MODELS_DIR ?? process.env.BRAKEDISC_MODELS_DIR ?? 'models' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === '--onnx') found.onnx = value;
    else if (flag === '--manifest') found.manifest = value;
    else if (flag === '--name') found.name = value;
    else if (flag === '--models-dir') found.modelsDir = value;
    else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  if (!found.onnx || !found.manifest) throw new Error(USAGE);
  return found as Args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const json = JSON.parse(readFileSync(args.manifest, 'utf8')) as Record<string, unknown>;
  // The installed copy always names its model model.onnx, beside the manifest.
  const manifest = parseBackboneManifest({ ...json, ...(args.name ? { name: args.name } : {}), model: DEFAULT_MODEL_FILE_NAME }, args.manifest);
  const started = Date.now();
  const backbone = await Backbone.open(manifest, args.onnx, { device: 'cpu', intraOpThreads: 2 });
  const info = backbone.info;
  await backbone.release();
  const checked = { ...manifest, dim: info.dim };
  const target = backboneDirectory(args.modelsDir, manifest.name);
  replaceDirectory(target, (temp) => {
    copyFileSync(args.onnx, join(temp, DEFAULT_MODEL_FILE_NAME));
    writeFileSync(join(temp, MANIFEST_FILE_NAME), `${JSON.stringify(checked, null, 2)}\n`);
  });
  const grid = `${info.inputHeight / info.patchStride}x${info.inputWidth / info.patchStride}`;
  console.log(
    `[backbone] installed ${manifest.name} ${manifest.version} into ${target}: input ${info.inputWidth}x${info.inputHeight}, ` +
      `grid ${grid}, dim ${info.dim} (checked in ${Date.now() - started} ms). Use it with BDI_BACKBONE=${manifest.name}`,
  );
}

main().catch((err: unknown) => {
  const code = err instanceof BackboneError ? ` (${err.code})` : '';
  console.error(`[backbone] install failed${code}: ${(err as Error).message}`);
  process.exit(1);
});
