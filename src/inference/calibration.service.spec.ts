import * as fs from 'node:fs';
import { chooseThreshold } from '../engine/calibration';
import type { InferInput } from '../engine/pool-protocol';
import { ModelRef } from '../recipes/model-store';
import { grayPng, InspectionKit, newInspectionServices, seedModel } from './testing/inspection-test-kit';

const REF: ModelRef = { recipeId: 'default', roleId: 'Master', roiId: 'Pattern', modelKey: 'Pattern' };

describe('CalibrationService', () => {
  let kit: InspectionKit;
  beforeEach(() => {
    kit = newInspectionServices();
  });
  afterEach(() => kit.cleanup());

  const ngInput = (okScores: number[], ngScores: number[]) => ({ ...REF, requestId: 'r1', mmPerPx: 0.2, okScores, ngScores, areaMm2Thr: 1, scorePercentile: 99 });

  it('stores the threshold chosen from the client’s OK/NG scores and answers it', async () => {
    const res = await kit.calibration.calibrateNg(ngInput([0.1, 0.2, 0.3], [0.8, 0.9]));
    expect(res.threshold).toBe(chooseThreshold([0.1, 0.2, 0.3], [0.8, 0.9], 99));
    expect(res).toMatchObject({ request_id: 'r1', recipe_id: 'default' });
    expect(res.ok_mean).toBeCloseTo(0.2, 12);
    expect(res.ng_mean).toBeCloseTo(0.85, 12);
    const stored = JSON.parse(fs.readFileSync(kit.store.artifactPath(REF, 'calib'), 'utf8'));
    expect(stored.threshold).toBe(res.threshold);
  });

  it('refuses to calibrate without an OK score', async () => {
    await expect(kit.calibration.calibrateNg(ngInput([], [0.9]))).rejects.toMatchObject({ code: 'calibration_failed' });
    expect(fs.existsSync(kit.store.artifactPath(REF, 'calib'))).toBe(false);
  });

  it('rejects a percentile outside [0, 100]', async () => {
    await expect(kit.calibration.calibrateNg({ ...ngInput([0.1], []), scorePercentile: 101 })).rejects.toMatchObject({ code: 'invalid_score_percentile' });
  });

  it('calibrates from the stored samples, scored through the engine without a threshold', async () => {
    seedModel(kit, REF, null);
    const ok = await Promise.all([90, 100, 110].map((level) => grayPng(32, 24, level)));
    const ng = await grayPng(32, 24, 250);
    await kit.store.saveSamples('default', REF.roleId, REF.roiId, 'ok', ok.map((bytes) => ({ bytes, meta: { mm_per_px: 0.2 } })));
    await kit.store.saveSamples('default', REF.roleId, REF.roiId, 'ng', [{ bytes: ng, meta: { mm_per_px: 0.2 } }]);
    const scores = new Map<string, number>([...ok.map((b, i): [string, number] => [b.toString('base64'), 0.1 + i / 100]), [ng.toString('base64'), 0.9]]);
    kit.engine.inferAnswer = (input: InferInput) => ({ score: scores.get(Buffer.from(input.image).toString('base64')) ?? NaN });
    const res = await kit.calibration.calibrateDataset({ ...REF, requestId: 'r3', scorePercentile: 99, areaMm2Thr: 1, defaultMmPerPx: null, requireNg: true });
    expect(res).toMatchObject({ status: 'ok', n_ok: 3, n_ng: 1 });
    expect(res.threshold).toBe(chooseThreshold([0.1, 0.11, 0.12], [0.9], 99));
    expect(kit.engine.inferCalls.map((c) => c.input.threshold)).toEqual([null, null, null, null]);
  });

  it('refuses calibrate_dataset without NG samples when they are required', async () => {
    seedModel(kit, REF, null);
    await kit.store.saveSamples('default', REF.roleId, REF.roiId, 'ok', [{ bytes: await grayPng(), meta: { mm_per_px: 0.2 } }]);
    await expect(
      kit.calibration.calibrateDataset({ ...REF, requestId: 'r4', scorePercentile: 99, areaMm2Thr: 1, defaultMmPerPx: null, requireNg: true }),
    ).rejects.toMatchObject({ code: 'no_ng_samples' });
  });
});
