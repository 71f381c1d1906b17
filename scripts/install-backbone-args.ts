// Command line of `npm run backbone:install`: three modes, one parser (kept apart from the script for tests).
import { parseArgs } from 'node:util';

export const INSTALL_USAGE = [
  'usage:',
  '  npm run backbone:install -- --onnx FILE --name NAME --layers T1,T2 [--size N] [--mean r,g,b --std r,g,b]',
  '         [--scale S] [--colour RGB|BGR] [--neighbourhood K] [--with-builtin] [--force] [--models-dir DIR]',
  '      any ONNX network: the named internal tensors become the patch features',
  '      (--with-builtin: beside the built-in texture blocks, one graph; each recipe\'s tuner weighs them)',
  '  npm run backbone:install -- --onnx FILE --list-tensors [--size N]',
  '      prints the internal tensors usable as --layers, with shapes and strides',
  '  npm run backbone:install -- --onnx FILE --manifest backbone.json [--name NAME] [--force] [--models-dir DIR]',
  '      a model exported with its own manifest (DINOv2, see models/backbones/README.md)',
  'The models directory defaults to $BDI_MODELS_DIR (else ./models).',
].join('\n');

type Triple = [number, number, number];

export type InstallCommand =
  | {
      mode: 'layers';
      onnx: string;
      name: string;
      layers: string[];
      modelsDir: string;
      force: boolean;
      size?: number;
      mean?: Triple;
      std?: Triple;
      scale?: number;
      colour?: 'RGB' | 'BGR';
      neighbourhood?: number;
      withBuiltin: boolean;
    }
  | { mode: 'list'; onnx: string; size?: number }
  | { mode: 'manifest'; onnx: string; manifest: string; name?: string; modelsDir: string; force: boolean };

export function parseInstallArgs(argv: string[], env: NodeJS.ProcessEnv): InstallCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${INSTALL_USAGE}`);
  }
  const v = parsed.values;
  const fail = (problem: string): never => {
    throw new Error(`${problem}\n${INSTALL_USAGE}`);
  };
  if (!v.onnx) fail('--onnx is required');
  const onnx = v.onnx as string;
  const modelsDir = v['models-dir'] ?? env.BDI_MODELS_DIR ?? env.BRAKEDISC_MODELS_DIR ?? 'models';
  const size = v.size === undefined ? undefined : number('--size', v.size, fail);
  if (v['list-tensors']) return { mode: 'list', onnx, ...(size !== undefined ? { size } : {}) };
  if (v.manifest) {
    if (v.layers) fail('--manifest and --layers exclude each other');
    return { mode: 'manifest', onnx, manifest: v.manifest, ...(v.name ? { name: v.name } : {}), modelsDir, force: v.force === true };
  }
  if (!v.layers) fail('--layers (or --manifest, or --list-tensors) is required');
  if (!v.name) fail('--name is required with --layers');
  const layers = (v.layers as string).split(',').map((s) => s.trim()).filter((s) => s !== '');
  if ((v.mean === undefined) !== (v.std === undefined)) fail('--mean and --std go together');
  const colour = v.colour?.toUpperCase();
  if (colour !== undefined && colour !== 'RGB' && colour !== 'BGR') fail('--colour must be RGB or BGR');
  return {
    mode: 'layers',
    onnx,
    name: v.name as string,
    layers,
    modelsDir,
    force: v.force === true,
    withBuiltin: v['with-builtin'] === true,
    ...(size !== undefined ? { size } : {}),
    ...(v.mean !== undefined ? { mean: triple('--mean', v.mean, fail) } : {}),
    ...(v.std !== undefined ? { std: triple('--std', v.std as string, fail) } : {}),
    ...(v.scale !== undefined ? { scale: number('--scale', v.scale, fail) } : {}),
    ...(colour !== undefined ? { colour: colour as 'RGB' | 'BGR' } : {}),
    ...(v.neighbourhood !== undefined ? { neighbourhood: number('--neighbourhood', v.neighbourhood, fail) } : {}),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      onnx: { type: 'string' },
      name: { type: 'string' },
      layers: { type: 'string' },
      manifest: { type: 'string' },
      'models-dir': { type: 'string' },
      size: { type: 'string' },
      mean: { type: 'string' },
      std: { type: 'string' },
      scale: { type: 'string' },
      colour: { type: 'string' },
      neighbourhood: { type: 'string' },
      force: { type: 'boolean' },
      'with-builtin': { type: 'boolean' },
      'list-tensors': { type: 'boolean' },
    },
  });
}

function number(flag: string, text: string, fail: (problem: string) => never): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) fail(`${flag} must be a number, got "${text}"`);
  return n;
}

function triple(flag: string, text: string, fail: (problem: string) => never): Triple {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n))) fail(`${flag} must be three numbers r,g,b, got "${text}"`);
  return [parts[0], parts[1], parts[2]];
}
