// Generates the built-in backbone (deterministic, no download) into <models>/backbones/<name>/.
//   node dist/scripts/generate-default-backbone.js [--if-missing] [--out <dir>] [--models-dir <dir>]
//     [--options <json file with DefaultBackboneOptions overrides>] [--name <name>]
// --if-missing: do nothing when the target exists with the version these options would produce.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildDefaultBackbone,
  defaultBackboneVersion,
  resolveDefaultBackboneOptions,
  type DeepPartial,
  type DefaultBackboneOptions,
} from '../src/engine/backbone/default-backbone';
import { BUILTIN_BACKBONE_NAME, backboneDirectory } from '../src/engine/backbone/manifest-location';
import { MANIFEST_FILE_NAME } from '../src/engine/backbone/manifest';
import { replaceDirectory } from './replace-directory';

interface Args {
  ifMissing: boolean;
  out?: string;
  modelsDir: string;
  name: string;
  options: DeepPartial<DefaultBackboneOptions>;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    ifMissing: false,
    modelsDir: process.env.BDI_MODELS_DIR ?? process.env.BRAKEDISC_MODELS_DIR ?? 'models',
    name: BUILTIN_BACKBONE_NAME,
    options: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--if-missing') args.ifMissing = true;
    else if (flag === '--out') args.out = value();
    else if (flag === '--models-dir') args.modelsDir = value();
    else if (flag === '--name') args.name = value();
    else if (flag === '--options') args.options = JSON.parse(readFileSync(value(), 'utf8')) as DeepPartial<DefaultBackboneOptions>;
    else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

function installedVersion(dir: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE_NAME), 'utf8')) as { version?: unknown; model?: unknown };
    const model = typeof manifest.model === 'string' ? manifest.model : 'model.onnx';
    return existsSync(join(dir, model)) && typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.out ?? backboneDirectory(args.modelsDir, args.name);
  const expected = defaultBackboneVersion(resolveDefaultBackboneOptions(args.options));
  if (args.ifMissing && installedVersion(dir) === expected) return;
  const started = Date.now();
  const { model, manifest } = buildDefaultBackbone(args.options, args.name);
  replaceDirectory(dir, (temp) => {
    writeFileSync(join(temp, manifest.model), model);
    writeFileSync(join(temp, MANIFEST_FILE_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  console.log(
    `[backbone] generated ${manifest.name} ${manifest.version} (dim ${manifest.dim}, ${(model.length / 1024).toFixed(0)} KiB) ` +
      `in ${dir} (${Date.now() - started} ms)`,
  );
}

try {
  main();
} catch (err) {
  console.error(`[backbone] ${(err as Error).message}`);
  process.exit(1);
}
