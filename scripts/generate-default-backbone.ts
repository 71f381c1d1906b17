// Generates the built-in backbone (deterministic, no download) into <models>/backbones/<name>/.
//   node dist/scripts/generate-default-backbone.js [--if-missing] [--out <dir>] [--models-dir <dir>]
//     [--options <json file with DefaultBackboneOptions overrides>] [--name <name>]
// --if-missing: do nothing when the target exists with the version these options would produce.
import { readFileSync } from 'node:fs';
import { ensureBuiltinBackbone } from '../src/engine/backbone/builtin-backbone';
import type { DeepPartial, DefaultBackboneOptions } from '../src/engine/backbone/default-backbone';
import { BUILTIN_BACKBONE_NAME, backboneDirectory } from '../src/engine/backbone/manifest-location';

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

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.out ?? backboneDirectory(args.modelsDir, args.name);
  const started = Date.now();
  const result = ensureBuiltinBackbone(dir, args.name, args.options, !args.ifMissing);
  if (!result.generated) return;
  console.log(
    `[backbone] generated ${args.name} ${result.version} (dim ${result.dim}, ${(result.modelBytes / 1024).toFixed(0)} KiB) ` +
      `in ${dir} (${Date.now() - started} ms)`,
  );
}

try {
  main();
} catch (err) {
  console.error(`[backbone] ${(err as Error).message}`);
  process.exit(1);
}
