import type { InferInput } from '../engine/pool-protocol';
import { ModelRef } from '../recipes/model-store';
import { grayPng, InspectionKit, newInspectionServices, seedModel } from './testing/inspection-test-kit';

const REF: ModelRef = { recipeId: 'default', roleId: 'Master', roiId: 'Pattern', modelKey: 'Pattern' };
const REGION = { bbox: [1, 2, 3, 4] as [number, number, number, number], area_px: 12, area_mm2: 0.48, contour: [[1, 2]] as Array<[number, number]> };

describe('ScoringService', () => {
  let kit: InspectionKit;
  beforeEach(() => {
    kit = newInspectionServices();
  });
  afterEach(() => kit.cleanup());

  async function infer(extra: { includeHeatmap?: boolean } = {}) {
    return kit.scoring.infer({ ...REF, requestId: 'r1', mmPerPx: 0.2, image: await grayPng(), shape: null, ...extra });
  }

  it('answers ng with the regions and the heatmap when the score reaches the threshold', async () => {
    seedModel(kit, REF, 0.5);
    kit.engine.inferAnswer = { score: 0.5, regions: [REGION], heatmapPngBase64: 'PNG' };
    const res = await infer();
    expect(res).toMatchObject({ score: 0.5, threshold: 0.5, decision: 'ng', heatmap_png_base64: 'PNG', regions_above_area_threshold: 1 });
    expect(res.regions).toEqual([{ ...REGION, x: 1, y: 2, w: 3, h: 4 }]);
  });

  it('answers ok without listing regions or a heatmap, but counts the regions over the area threshold', async () => {
    seedModel(kit, REF, 0.5);
    kit.engine.inferAnswer = { score: 0.3, regions: [REGION, REGION], heatmapPngBase64: 'PNG' };
    const res = await infer();
    expect(res).toMatchObject({ decision: 'ok', regions: [], heatmap_png_base64: null, regions_above_area_threshold: 2 });
  });

  it('scores with the stored calibration and the interactive priority', async () => {
    seedModel(kit, REF, 0.7);
    await infer();
    expect(kit.engine.inferCalls).toHaveLength(1);
    const { input, options } = kit.engine.inferCalls[0];
    expect(input).toMatchObject({ threshold: 0.7, scorePercentile: 99, areaMm2Thr: 1, mmPerPx: 0.2, wantHeatmap: 'ng' });
    expect(options.priority).toBe('interactive');
  });

  it('refuses to score without a fitted memory, without calling the engine', async () => {
    await expect(infer()).rejects.toMatchObject({ code: 'memory_not_fitted' });
    expect(kit.engine.inferCalls).toHaveLength(0);
    expect(kit.diagnostics.names()).toContain('infer.not_fitted');
  });

  it('refuses to score without a calibration', async () => {
    seedModel(kit, REF, null);
    await expect(infer()).rejects.toMatchObject({ code: 'calibration_missing' });
    expect(kit.engine.inferCalls).toHaveLength(0);
  });

  it('lists a stored sample the engine cannot decode as that item’s error and scores the others', async () => {
    seedModel(kit, REF, 0.5);
    const good = await grayPng(32, 24, 100);
    const bad = await grayPng(32, 24, 200);
    await kit.store.saveSamples('default', REF.roleId, REF.roiId, 'ok', [
      { bytes: good, meta: { mm_per_px: 0.2 } },
      { bytes: bad, clientFileName: 'broken.png', meta: { mm_per_px: 0.2 } },
    ]);
    kit.engine.inferAnswer = (input: InferInput) =>
      Buffer.from(input.image).equals(bad) ? Object.assign(new Error('cannot decode'), { code: 'invalid_image' }) : { score: 0.6, regions: [REGION] };
    const res = await kit.scoring.inferDataset({ ...REF, requestId: 'r2', labels: ['ok', 'ng'], includeHeatmap: false, defaultMmPerPx: null });
    expect(res).toMatchObject({ status: 'ok', n_total: 2, n_errors: 1 });
    const scored = res.items.find((i) => i.error === null)!;
    expect(scored).toMatchObject({ label: 'ok', score: 0.6, decision: 'ng', n_regions: 1, mm_per_px: 0.2 });
    expect(res.items.find((i) => i.error !== null)!.error).toContain('broken.png');
  });
});
