// The layers of src/, lowest first. A file may import from its own folder or from a lower layer; an import from a
// higher layer, or sideways into another folder of the same layer, fails here.
import * as fs from 'node:fs';
import * as path from 'node:path';

const LAYERS: string[][] = [
  ['engine'], // plain TypeScript that runs in the worker threads; knows nothing of Nest
  ['config'], // the boot-time configuration (may name engine types, e.g. the heatmap scale)
  ['common'], // error contract, request context, validation, wire helpers, logging
  ['recipes', 'metrics'], // the ModelStore repository; Prometheus metrics
  ['pool', 'jobs'], // the worker pool; the job backend and its task registry
  ['detection', 'datasets', 'inference', 'health'], // the features (health reads the pool and the jobs through ports)
  ['app'], // composition: app.module, app.factory, openapi, main
];

const SRC = __dirname;

function rankOf(folder: string): number {
  const rank = LAYERS.findIndex((layer) => layer.includes(folder));
  if (rank < 0) throw new Error(`src/${folder} is in no layer: add it to LAYERS in import-layers.spec.ts`);
  return rank;
}

/** The top-level folder of a file under src/ ('app' for the files directly in src/). */
function folderOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? 'app' : rel[0];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+'(\.[^']+)'/g), ...text.matchAll(/(?:import|require)\('(\.[^']+)'\)/g)];
  return specifiers.map((m) => path.resolve(path.dirname(file), m[1]));
}

describe('import layers of src/', () => {
  const edges = sourceFiles(SRC).flatMap((file) => importsOf(file).map((target) => ({ file, target })));

  it('finds the imports it checks', () => {
    expect(edges.length).toBeGreaterThan(100);
  });

  it('has no import from a lower layer up, nor sideways between folders of one layer', () => {
    const violations = edges
      .filter(({ file, target }) => {
        const from = folderOf(file);
        const to = folderOf(target);
        return from !== to && rankOf(to) >= rankOf(from);
      })
      .map(({ file, target }) => `${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
    expect(violations).toEqual([]);
  });
});
