import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppConfig } from '../config/app-config';
import { ApiError } from '../common/errors/api-error';
import { ModelRef, ModelStore } from './model-store';

function storeAt(root: string): ModelStore {
  return new ModelStore({ storage: { modelsDir: root } } as AppConfig);
}

function touch(file: string, content = 'x'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

describe('ModelStore', () => {
  let root: string;
  let store: ModelStore;
  const ref: ModelRef = { recipeId: 'recipex', roleId: 'Master', roiId: 'Pattern', modelKey: 'Pattern' };
  const base = 'TWFzdGVy__UGF0dGVybg';

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-store-'));
    store = storeAt(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes to recipes/<recipe>/<model_key>/<base><suffix>', () => {
    expect(store.artifactPath(ref, 'memory')).toBe(path.join(root, 'recipes', 'recipex', 'Pattern', `${base}.npz`));
    expect(store.artifactPath({ ...ref, modelKey: 'a b/c' }, 'index')).toBe(path.join(root, 'recipes', 'recipex', 'a_b_c', `${base}_index.faiss`));
    expect(store.artifactPath(ref, 'calib')).toBe(path.join(root, 'recipes', 'recipex', 'Pattern', `${base}_calib.json`));
  });

  it('resolves each artifact through the fallbacks in order', async () => {
    const flat = path.join(root, 'Master_Pattern.npz');
    const dirLegacy = path.join(root, 'Master', 'Pattern', 'memory.npz');
    const defaults = path.join(root, 'recipes', 'default', 'Pattern', `${base}.npz`);
    const caseDir = path.join(root, 'recipes', 'RecipeX', 'Pattern', `${base}.npz`);
    const own = store.artifactPath(ref, 'memory');
    expect((await store.resolveArtifact(ref, 'memory')).path).toBeNull();
    touch(dirLegacy);
    expect((await store.resolveArtifact(ref, 'memory')).path).toBe(dirLegacy);
    touch(flat);
    expect((await store.resolveArtifact(ref, 'memory')).path).toBe(flat);
    touch(defaults);
    expect((await store.resolveArtifact(ref, 'memory')).path).toBe(defaults);
    touch(caseDir);
    expect((await store.resolveArtifact(ref, 'memory')).path).toBe(caseDir);
    touch(own);
    const resolved = await store.resolveArtifact(ref, 'memory');
    expect(resolved.path).toBe(own);
    expect(resolved.probed).toEqual([{ path: own, exists: true }]);
  });

  it('re-reads a JSON file only when its identity changed (atomic replace, in-place rewrite, removal)', async () => {
    const file = store.artifactPath(ref, 'calib');
    await store.writeJson(file, { threshold: 1 });
    expect(await store.readJson(file)).toEqual({ threshold: 1 });
    const first = await store.readJson(file);
    first.threshold = 99; // callers get their own object
    expect(await store.readJson(file)).toEqual({ threshold: 1 });
    await store.writeJson(file, { threshold: 2 });
    expect(await store.readJson(file)).toEqual({ threshold: 2 });
    fs.writeFileSync(file, '{"threshold": 3}');
    expect(await store.readJson(file)).toEqual({ threshold: 3 });
    fs.rmSync(file);
    await expect(store.readJson(file)).rejects.toMatchObject({ code: 'file_not_found' });
  });

  describe('repeated resolution (one lstat while the file is unchanged)', () => {
    const npz = (bytes: number[]) => ({ indexBytes: null, npzBytes: new Uint8Array(bytes) });

    it('sees a refit written by another process', async () => {
      await store.writeModel(ref, npz([1]));
      expect((await store.resolveArtifact(ref, 'memory')).stats?.size).toBe(1);
      await storeAt(root).writeModel(ref, npz([1, 2, 3]));
      const resolved = await store.resolveArtifact(ref, 'memory');
      expect(resolved.path).toBe(store.artifactPath(ref, 'memory'));
      expect(resolved.stats?.size).toBe(3);
    });

    it('falls back once the own artifact is deleted by another process', async () => {
      const defaults = path.join(root, 'recipes', 'default', 'Pattern', `${base}.npz`);
      touch(defaults);
      await store.writeModel(ref, npz([1]));
      expect((await store.resolveArtifact(ref, 'memory')).source).toBe('recipe');
      fs.rmSync(store.artifactPath(ref, 'memory'));
      const resolved = await store.resolveArtifact(ref, 'memory');
      expect(resolved).toMatchObject({ path: defaults, source: 'default_recipe' });
      fs.rmSync(defaults);
      expect((await store.resolveArtifact(ref, 'memory')).path).toBeNull();
    });

    it('refuses a model folder replaced by a symlink to another folder after a resolution', async () => {
      await store.writeModel(ref, npz([1]));
      await store.resolveArtifact(ref, 'memory');
      const dir = path.dirname(store.artifactPath(ref, 'memory'));
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-elsewhere-'));
      try {
        fs.copyFileSync(store.artifactPath(ref, 'memory'), path.join(elsewhere, path.basename(store.artifactPath(ref, 'memory'))));
        fs.rmSync(dir, { recursive: true });
        fs.symlinkSync(elsewhere, dir);
        await expect(store.resolveArtifact(ref, 'memory')).rejects.toMatchObject({ code: 'unsafe_path' });
      } finally {
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    });

    it('reads a recipe meta changed in place by another process', async () => {
      await store.ensureMmPerPx('r5', 0.2);
      fs.writeFileSync(store.recipeMetaPath('r5'), '{"mm_per_px": 0.3}');
      await expect(store.ensureMmPerPx('r5', 0.2)).rejects.toMatchObject({ code: 'mm_per_px_mismatch' });
      await expect(store.ensureMmPerPx('r5', 0.3)).resolves.toBeUndefined();
    });
  });

  it('does not look at other recipes for the default recipe', async () => {
    touch(path.join(root, 'recipes', 'Default', 'Pattern', `${base}.npz`));
    const resolved = await store.resolveArtifact({ ...ref, recipeId: 'default' }, 'memory');
    expect(resolved.path).toBeNull();
    expect(resolved.probed.map((p) => path.relative(root, p.path))).toEqual([
      path.join('recipes', 'default', 'Pattern', `${base}.npz`),
      'Master_Pattern.npz',
      path.join('Master', 'Pattern', 'memory.npz'),
    ]);
  });

  it('resolves the dataset base with ownership', async () => {
    expect(await store.resolveDatasetBase('recipex', 'Master', 'Pattern')).toBeNull();
    fs.mkdirSync(path.join(root, 'datasets', 'Master', 'Pattern', 'ok'), { recursive: true });
    expect(await store.resolveDatasetBase('recipex', 'Master', 'Pattern')).toEqual({ path: path.join(root, 'datasets', 'Master', 'Pattern'), own: false });
    fs.mkdirSync(path.join(root, 'recipes', 'default', 'datasets', base), { recursive: true });
    expect(await store.resolveDatasetBase('recipex', 'Master', 'Pattern')).toEqual({ path: path.join(root, 'recipes', 'default', 'datasets', base), own: false });
    fs.mkdirSync(path.join(root, 'recipes', 'recipex', 'datasets', base), { recursive: true });
    expect(await store.resolveDatasetBase('recipex', 'Master', 'Pattern')).toEqual({ path: path.join(root, 'recipes', 'recipex', 'datasets', base), own: true });
  });

  it('never uses raw ids that are not plain segments for the legacy dataset folder', async () => {
    fs.mkdirSync(path.join(root, 'datasets', 'x'), { recursive: true });
    expect(await store.resolveDatasetBase('default', '..', 'datasets')).toBeNull();
  });

  it('refuses to follow a symlink inside the models dir', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-outside-'));
    try {
      fs.mkdirSync(path.join(root, 'recipes'), { recursive: true });
      fs.symlinkSync(outside, path.join(root, 'recipes', 'recipex'));
      await expect(store.resolveArtifact(ref, 'memory')).rejects.toMatchObject({ code: 'unsafe_path' });
      await expect(store.writeModel(ref, { indexBytes: null, npzBytes: new Uint8Array([1]) })).rejects.toBeInstanceOf(ApiError);
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  describe('mm_per_px lock', () => {
    it('creates recipe_meta.json with Python floats, then accepts values within tolerance', async () => {
      await store.ensureMmPerPx('r1', 1);
      const text = fs.readFileSync(path.join(root, 'recipes', 'r1', 'recipe_meta.json'), 'utf8');
      expect(text).toMatch(/^\{\n {2}"mm_per_px": 1\.0,\n {2}"created_at_utc": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z"\n\}$/);
      await expect(store.ensureMmPerPx('r1', 1 + 5e-7)).resolves.toBeUndefined();
    });

    it('answers 409 with the original message in Python float repr', async () => {
      await store.ensureMmPerPx('r2', 0.2);
      await expect(store.ensureMmPerPx('r2', 0.25)).rejects.toMatchObject({
        code: 'mm_per_px_mismatch',
        status: 409,
        message: "mm_per_px mismatch for recipe 'r2': expected 0.2, got 0.25",
      });
    });

    it('fills a lock file whose mm_per_px is null and keeps its other keys', async () => {
      touch(path.join(root, 'recipes', 'r3', 'recipe_meta.json'), '{"mm_per_px": null, "note": "x"}');
      await store.ensureMmPerPx('r3', 0.5);
      const meta = JSON.parse(fs.readFileSync(path.join(root, 'recipes', 'r3', 'recipe_meta.json'), 'utf8'));
      expect(meta).toMatchObject({ mm_per_px: 0.5, note: 'x' });
      expect(typeof meta.created_at_utc).toBe('string');
    });

    it('lets only one of two concurrent first requests create the lock', async () => {
      const results = await Promise.allSettled([store.ensureMmPerPx('r4', 0.2), store.ensureMmPerPx('r4', 0.3)]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    });
  });

  describe('samples', () => {
    it('names samples chronologically and uniquely, with metas that keep client values', async () => {
      const bytes = new Uint8Array([1, 2, 3]);
      const saved = await store.saveSamples('r', 'Master', 'Pattern', 'ok', [
        { bytes, clientFileName: 'X.JPG', meta: { filename: 'client.png', mm_per_px: 0.2 } },
        { bytes, clientFileName: 'y.png', meta: {} },
        { bytes, meta: {} },
      ]);
      expect(saved).toHaveLength(3);
      for (const name of saved) expect(name).toMatch(/^\d{8}-\d{6}-\d{6}\.\w+$/);
      expect(new Set(saved).size).toBe(3);
      expect([...saved].sort()).toEqual(saved);
      expect(saved[0].endsWith('.jpg')).toBe(true);
      const dir = path.join(root, 'recipes', 'r', 'datasets', base, 'ok');
      const meta = JSON.parse(fs.readFileSync(path.join(dir, saved[0].replace('.jpg', '.json')), 'utf8'));
      expect(meta).toMatchObject({ filename: 'client.png', mm_per_px: 0.2, role_id: 'Master', roi_id: 'Pattern', label: 'ok', recipe_id: 'r' });
      const second = JSON.parse(fs.readFileSync(path.join(dir, saved[1].replace('.png', '.json')), 'utf8'));
      expect(second.filename).toBe(saved[1]);
    });

    it('rejects unsafe sample file names', async () => {
      const own = { path: path.join(root, 'recipes', 'r', 'datasets', base), own: true };
      for (const name of ['../../x', '/etc/passwd', 'a/b', '..', 'x\0y']) {
        expect(() => store.sampleFilePath(own, 'ok', name)).toThrow(expect.objectContaining({ code: 'invalid_filename' }));
      }
    });
  });
});
