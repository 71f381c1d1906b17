import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { OnnxGraphBuilder } from '../src/engine/backbone/onnx-graph-builder';
import { parseInstallArgs } from './install-backbone-args';

describe('backbone:install arguments', () => {
  const layers = ['--onnx', 'net.onnx', '--name', 'mnv2', '--layers', '356_quantized, 417_quantized'];

  it('takes the models directory from BDI_MODELS_DIR', () => {
    expect(parseInstallArgs(layers, { BDI_MODELS_DIR: '/data/models' })).toMatchObject({ mode: 'layers', modelsDir: '/data/models' });
  });

  it('lets --models-dir win over BDI_MODELS_DIR and defaults to ./models', () => {
    expect(parseInstallArgs([...layers, '--models-dir', 'here'], { BDI_MODELS_DIR: '/data/models' })).toMatchObject({ modelsDir: 'here' });
    expect(parseInstallArgs(layers, {})).toMatchObject({ modelsDir: 'models' });
  });

  it('parses layers, size and normalisation', () => {
    const cmd = parseInstallArgs([...layers, '--size', '320', '--mean', '0.485,0.456,0.406', '--std', '0.229,0.224,0.225', '--force'], {});
    expect(cmd).toEqual({
      mode: 'layers',
      onnx: 'net.onnx',
      name: 'mnv2',
      layers: ['356_quantized', '417_quantized'],
      modelsDir: 'models',
      force: true,
      withBuiltin: false,
      size: 320,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    expect(parseInstallArgs([...layers, '--with-builtin'], {})).toMatchObject({ mode: 'layers', withBuiltin: true });
  });

  it('rejects --mean without --std, a malformed triple and an unknown flag', () => {
    expect(() => parseInstallArgs([...layers, '--mean', '0.5,0.5,0.5'], {})).toThrow('--mean and --std go together');
    expect(() => parseInstallArgs([...layers, '--mean', '0.5,0.5', '--std', '1,1,1'], {})).toThrow('three numbers');
    expect(() => parseInstallArgs([...layers, '--layer', 'x'], {})).toThrow(/Unknown option '--layer'/);
  });

  it('has a listing mode and keeps the manifest mode', () => {
    expect(parseInstallArgs(['--onnx', 'n.onnx', '--list-tensors'], {})).toEqual({ mode: 'list', onnx: 'n.onnx' });
    expect(parseInstallArgs(['--onnx', 'n.onnx', '--manifest', 'b.json'], { BDI_MODELS_DIR: 'm' })).toEqual({
      mode: 'manifest',
      onnx: 'n.onnx',
      manifest: 'b.json',
      modelsDir: 'm',
      force: false,
    });
  });
});

describe('npm run backbone:install (compiled script)', () => {
  const run = promisify(execFile);
  const script = resolve(__dirname, '..', 'dist', 'scripts', 'install-backbone.js');
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'install-cli-'));
    const g = new OnnxGraphBuilder('cli');
    const x = g.input('image', [1, 3, 32, 32]);
    g.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, ['half']);
    g.op('AveragePool', ['half'], { kernel_shape: [2, 2], strides: [2, 2] }, ['quarter']);
    g.op('GlobalAveragePool', ['quarter'], {}, ['pooled']);
    g.output('pooled', [1, 3, 1, 1]);
    writeFileSync(join(dir, 'net.onnx'), g.build());
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('installs into <BDI_MODELS_DIR>/backbones/NAME', async () => {
    const models = join(dir, 'data');
    const { stdout } = await run(process.execPath, [script, '--onnx', join(dir, 'net.onnx'), '--name', 'cli-net', '--layers', 'half,quarter'], {
      env: { ...process.env, BDI_MODELS_DIR: models },
    });
    expect(stdout).toContain('installed cli-net');
    const manifest = JSON.parse(readFileSync(join(models, 'backbones', 'cli-net', 'backbone.json'), 'utf8')) as { dim: number; patchStride: number };
    expect([manifest.dim, manifest.patchStride]).toEqual([6, 2]);
  });

  it('fails with the error code and writes nothing for an unknown tensor', async () => {
    const models = join(dir, 'data');
    const failed = await run(process.execPath, [script, '--onnx', join(dir, 'net.onnx'), '--name', 'cli-net', '--layers', 'halve'], {
      env: { ...process.env, BDI_MODELS_DIR: models },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('(backbone_unknown_tensor)') });
    expect((failed as { stderr: string }).stderr).toContain('Closest names: half');
    expect(existsSync(join(models, 'backbones', 'cli-net'))).toBe(false);
  });
});
