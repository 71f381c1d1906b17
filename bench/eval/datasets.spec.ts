import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DatasetLayoutError, loadDataset } from './datasets';

// The loader only lists files, so empty files stand in for images.
function touch(root: string, ...paths: string[]): void {
  for (const p of paths) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), '');
  }
}

describe('loadDataset', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'eval-ds-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const rel = (p: string | null): string | null => (p === null ? null : relative(root, p));

  it('splits MTD by name order: every fifth free image tests, the first N others train', () => {
    // 12 free images named so that code-unit order differs from numeric order (b10 < b2).
    const names = ['a1', 'a2', 'b10', 'b2', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    touch(root, ...names.map((n) => `MT_Free/Imgs/${n}.jpg`), ...names.map((n) => `MT_Free/Imgs/${n}.png`));
    touch(root, 'MT_Crack/Imgs/x.jpg', 'MT_Crack/Imgs/x.png', 'MT_Blowhole/Imgs/y.jpg', 'MT_Blowhole/Imgs/y.png');
    const ds = loadDataset(root, 'mtd', { trainCount: 4 });
    expect(ds.train.map(rel)).toEqual(['a2', 'b10', 'b2', 'c'].map((n) => `MT_Free/Imgs/${n}.jpg`));
    expect(ds.test.map((s) => [rel(s.imagePath), s.label, s.defectType, rel(s.maskPath)])).toEqual([
      ['MT_Free/Imgs/a1.jpg', 0, 'good', 'MT_Free/Imgs/a1.png'],
      ['MT_Free/Imgs/d.jpg', 0, 'good', 'MT_Free/Imgs/d.png'],
      ['MT_Free/Imgs/i.jpg', 0, 'good', 'MT_Free/Imgs/i.png'],
      ['MT_Blowhole/Imgs/y.jpg', 1, 'Blowhole', 'MT_Blowhole/Imgs/y.png'],
      ['MT_Crack/Imgs/x.jpg', 1, 'Crack', 'MT_Crack/Imgs/x.png'],
    ]);
    expect(ds.hasMasks).toBe(true);
  });

  it('defaults the MTD training set to 200 images', () => {
    touch(root, ...Array.from({ length: 300 }, (_, i) => `MT_Free/Imgs/${String(i).padStart(3, '0')}.jpg`));
    touch(root, 'MT_Crack/Imgs/x.jpg');
    const ds = loadDataset(root, 'mtd');
    expect(ds.train).toHaveLength(200);
    expect(ds.test.filter((s) => s.label === 0)).toHaveLength(60);
    expect(ds.hasMasks).toBe(false); // x.jpg has no mask beside it
  });

  it('reads MVTec AD with masks named <stem>_mask.png and good images without masks', () => {
    touch(root, 'train/good/000.png', 'train/good/001.png', 'train/good/002.png');
    touch(root, 'test/good/000.png', 'test/scratch/000.png', 'test/scratch/001.png');
    touch(root, 'ground_truth/scratch/000_mask.png', 'ground_truth/scratch/001_mask.png');
    const ds = loadDataset(root, 'mvtec', { trainCount: 2 });
    expect(ds.train.map(rel)).toEqual(['train/good/000.png', 'train/good/001.png']);
    expect(ds.test.map((s) => [rel(s.imagePath), s.label, rel(s.maskPath)])).toEqual([
      ['test/good/000.png', 0, null],
      ['test/scratch/000.png', 1, 'ground_truth/scratch/000_mask.png'],
      ['test/scratch/001.png', 1, 'ground_truth/scratch/001_mask.png'],
    ]);
    expect(ds.hasMasks).toBe(true);
  });

  it('turns pixel metrics off when a defective MVTec image lacks its mask', () => {
    touch(root, 'train/good/000.png', 'test/good/000.png', 'test/dent/000.png');
    expect(loadDataset(root, 'mvtec').hasMasks).toBe(false);
  });

  it('reads the RGB part of MVTec 3D-AD with gt masks of the same name', () => {
    touch(root, 'train/good/rgb/000.png', 'train/good/xyz/000.tiff');
    touch(root, 'test/good/rgb/000.png', 'test/good/gt/000.png', 'test/hole/rgb/000.png', 'test/hole/gt/000.png');
    const ds = loadDataset(root, 'mvtec3d');
    expect(ds.train.map(rel)).toEqual(['train/good/rgb/000.png']);
    expect(ds.test.map((s) => [rel(s.imagePath), s.label, s.defectType, rel(s.maskPath)])).toEqual([
      ['test/good/rgb/000.png', 0, 'good', 'test/good/gt/000.png'],
      ['test/hole/rgb/000.png', 1, 'hole', 'test/hole/gt/000.png'],
    ]);
    expect(ds.hasMasks).toBe(true);
  });

  it('rejects a folder that does not follow the layout', () => {
    expect(() => loadDataset(root, 'mvtec')).toThrow(DatasetLayoutError);
  });
});
