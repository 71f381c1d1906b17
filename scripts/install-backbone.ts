// Installs an ONNX backbone into <models>/backbones/<name>/, atomically and only after a checked forward pass:
//   --layers: any ONNX network, by naming internal tensors (graph surgery; see src/engine/backbone/graph-surgery.ts)
//   --list-tensors: prints the tensors that --layers accepts
//   --manifest: a model exported together with its manifest (DINOv2)
// Usage: scripts/install-backbone-args.ts (or run without arguments).
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Backbone } from '../src/engine/backbone/backbone';
import { BackboneError } from '../src/engine/backbone/backbone-error';
import { backboneDirectory } from '../src/engine/backbone/manifest-location';
import { DEFAULT_MODEL_FILE_NAME, MANIFEST_FILE_NAME, parseBackboneManifest } from '../src/engine/backbone/manifest';
import { installOnnxBackbone, listFeatureTensors } from '../src/engine/backbone/onnx-backbone-installer';
import { replaceDirectory } from '../src/engine/backbone/replace-directory';
import { parseInstallArgs, type InstallCommand } from './install-backbone-args';

async function installByLayers(cmd: Extract<InstallCommand, { mode: 'layers' }>): Promise<void> {
  const started = Date.now();
  const result = await installOnnxBackbone({
    onnxPath: cmd.onnx,
    name: cmd.name,
    layers: cmd.layers,
    modelsDir: cmd.modelsDir,
    force: cmd.force,
    ...(cmd.size !== undefined ? { size: cmd.size } : {}),
    ...(cmd.mean ? { mean: cmd.mean } : {}),
    ...(cmd.std ? { std: cmd.std } : {}),
    ...(cmd.scale !== undefined ? { scale: cmd.scale } : {}),
    ...(cmd.colour ? { colour: cmd.colour } : {}),
    ...(cmd.neighbourhood !== undefined ? { neighbourhood: cmd.neighbourhood } : {}),
    withBuiltin: cmd.withBuiltin,
  });
  const m = result.manifest;
  for (const layer of result.layers) {
    const how = layer.dequantisedBy ? `${layer.dtype}, dequantised with the scale/zero point of its ${layer.dequantisedBy}` : layer.dtype;
    console.log(`[backbone]   ${layer.name}: [${layer.shape.join(', ')}] ${how}`);
  }
  const k = m.generator?.neighbourhood;
  console.log(
    `[backbone] installed ${m.name} into ${result.directory}: input ${m.input.width}x${m.input.height} ` +
      `(${result.resizable ? `or any multiple of ${m.patchStride}: aspect sizing` : 'fixed: letterbox sizing only'}), stride ${m.patchStride}, ` +
      `grid ${m.input.height / m.patchStride}x${m.input.width / m.patchStride}, dim ${m.dim}, ${k}x${k} neighbourhood ` +
      `${result.combinedInGraph ? 'and resize in the graph' : 'and resize in the worker (opset < 11)'}, ` +
      `${(result.modelBytes / 1024).toFixed(0)} KiB (checked in ${Date.now() - started} ms). ` +
      `Use it with BDI_BACKBONE=${m.name} or --backbone ${m.name}`,
  );
}

async function listTensors(cmd: Extract<InstallCommand, { mode: 'list' }>): Promise<void> {
  const listing = await listFeatureTensors(cmd.onnx, cmd.size);
  const { input } = listing;
  console.log(`input "${input.name}" at ${input.width}x${input.height}; feature maps [C, h, w] by stride (* = residual sum, q = int8/uint8, dequantised on install):`);
  const rows = listing.candidates.map((c) => [String(c.stride), `[${c.shape.join(', ')}]`, `${c.dtype}${c.quantized ? ' q' : ''}`, c.op, `${c.residual ? '* ' : '  '}${c.name}`]);
  const header = ['stride', 'shape', 'dtype', 'op', '  name'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows.sort((a, b) => Number(a[0]) - Number(b[0]))]) {
    console.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
  }
  if (listing.suggested.length > 0) {
    console.log(`\nPatchCore's usual choice (last residual output at stride 8 and 16, i.e. layer2 + layer3): --layers ${listing.suggested.join(',')}`);
  }
}

async function installWithManifest(cmd: Extract<InstallCommand, { mode: 'manifest' }>): Promise<void> {
  const json = JSON.parse(readFileSync(cmd.manifest, 'utf8')) as Record<string, unknown>;
  // The installed copy always names its model model.onnx, beside the manifest.
  const manifest = parseBackboneManifest({ ...json, ...(cmd.name ? { name: cmd.name } : {}), model: DEFAULT_MODEL_FILE_NAME }, cmd.manifest);
  const target = backboneDirectory(cmd.modelsDir, manifest.name);
  if (existsSync(target) && !cmd.force) {
    throw new BackboneError('backbone_exists', `Backbone "${manifest.name}" is already installed at ${target}; use --force to replace it`);
  }
  const started = Date.now();
  const backbone = await Backbone.open(manifest, cmd.onnx, { device: 'cpu', intraOpThreads: 2 });
  const info = backbone.info;
  await backbone.release();
  const checked = { ...manifest, dim: info.dim };
  replaceDirectory(target, (temp) => {
    copyFileSync(cmd.onnx, join(temp, DEFAULT_MODEL_FILE_NAME));
    writeFileSync(join(temp, MANIFEST_FILE_NAME), `${JSON.stringify(checked, null, 2)}\n`);
  });
  const grid = `${info.inputHeight / info.patchStride}x${info.inputWidth / info.patchStride}`;
  console.log(
    `[backbone] installed ${manifest.name} ${manifest.version} into ${target}: input ${info.inputWidth}x${info.inputHeight}, ` +
      `grid ${grid}, dim ${info.dim} (checked in ${Date.now() - started} ms). Use it with BDI_BACKBONE=${manifest.name}`,
  );
}

async function main(): Promise<void> {
  const cmd = parseInstallArgs(process.argv.slice(2), process.env);
  if (cmd.mode === 'layers') await installByLayers(cmd);
  else if (cmd.mode === 'list') await listTensors(cmd);
  else await installWithManifest(cmd);
}

main().catch((err: unknown) => {
  const code = err instanceof BackboneError ? ` (${err.code})` : '';
  console.error(`[backbone] install failed${code}: ${(err as Error).message}`);
  process.exit(1);
});
