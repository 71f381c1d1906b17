import * as fs from 'node:fs';
import { ModelRef } from '../recipes/model-store';
import { grayPng, InspectionKit, newInspectionServices } from './testing/inspection-test-kit';

const REF: ModelRef = { recipeId: 'default', roleId: 'Master', roiId: 'Pattern', modelKey: 'Pattern' };

describe('FitService', () => {
  let kit: InspectionKit;
  afterEach(() => kit.cleanup());

  const fitInput = (extra: { useDataset?: boolean; memoryFit?: boolean; images?: Array<{ bytes: Uint8Array; name: string }> } = {}) => ({
    ...REF,
    requestId: 'r1',
    mmPerPx: 0.2,
    memoryFit: false,
    useDataset: true,
    images: [],
    ...extra,
  });

  async function seedOk(n: number): Promise<void> {
    const samples = await Promise.all(Array.from({ length: n }, (_, i) => grayPng(32, 24, 50 + i)));
    await kit.store.saveSamples('default', REF.roleId, REF.roiId, 'ok', samples.map((bytes) => ({ bytes, meta: { mm_per_px: 0.2 } })));
  }

  it('fits from the stored OK samples and writes the engine’s artifacts', async () => {
    kit = newInspectionServices({ BDI_MIN_OK_SAMPLES: '3' });
    await seedOk(3);
    const res = await kit.fit.fitOk(fitInput());
    expect(kit.engine.fitCalls).toHaveLength(1);
    expect(kit.engine.fitCalls[0].input.images.map((i) => i.path !== undefined)).toEqual([true, true, true]);
    expect(res).toMatchObject({ n_embeddings: 48, token_shape: [4, 4], request_id: 'r1', recipe_id: 'default' });
    expect(res.coreset_rate_applied).toBe(res.coreset_size / res.n_embeddings);
    expect([...fs.readFileSync(kit.store.artifactPath(REF, 'memory'))]).toEqual([1, 2, 3]);
  });

  it('reads the new memory into the workers after the fit, as the first inspection will ask for it', async () => {
    kit = newInspectionServices({ BDI_MIN_OK_SAMPLES: '3' });
    await seedOk(3);
    await kit.fit.fitOk(fitInput());
    for (let i = 0; i < 5 && kit.engine.preloadCalls.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    const memoryPath = kit.store.artifactPath(REF, 'memory');
    expect(kit.engine.preloadCalls).toEqual([
      expect.objectContaining({ npzPath: memoryPath, npzMtimeMs: fs.statSync(memoryPath).mtimeMs, indexPath: kit.store.artifactPath(REF, 'index') }),
    ]);
  });

  it('does not preload a model it did not write', async () => {
    kit = newInspectionServices({ BDI_MIN_OK_SAMPLES: '5' });
    await seedOk(2);
    await expect(kit.fit.fitOk(fitInput())).rejects.toMatchObject({ code: 'insufficient_ok_samples' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(kit.engine.preloadCalls).toEqual([]);
  });

  it('keeps every patch with memory_fit', async () => {
    kit = newInspectionServices({ BDI_MIN_OK_SAMPLES: '3' });
    await seedOk(3);
    const res = await kit.fit.fitOk(fitInput({ memoryFit: true }));
    expect(kit.engine.fitCalls[0].input.coresetRate).toBe(1);
    expect(res.coreset_size).toBe(res.n_embeddings);
  });

  it('refuses fewer OK samples than BDI_MIN_OK_SAMPLES, without calling the engine', async () => {
    kit = newInspectionServices({ BDI_MIN_OK_SAMPLES: '5' });
    await seedOk(2);
    await expect(kit.fit.fitOk(fitInput())).rejects.toMatchObject({ code: 'insufficient_ok_samples', details: { min_ok_samples: 5, found: 2 } });
    expect(kit.engine.fitCalls).toHaveLength(0);
  });

  it('refuses uploaded images when training is dataset-only', async () => {
    kit = newInspectionServices();
    await expect(kit.fit.fitOk(fitInput({ useDataset: false, images: [{ bytes: await grayPng(), name: 'a.png' }] }))).rejects.toMatchObject({
      code: 'training_dataset_only',
    });
  });

  it('does not replace the model when the fit was aborted', async () => {
    kit = newInspectionServices({ BDI_MIN_OK_SAMPLES: '3' });
    await seedOk(3);
    const controller = new AbortController();
    controller.abort();
    await expect(kit.fit.fitOk(fitInput(), { priority: 'background', signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    expect(fs.existsSync(kit.store.artifactPath(REF, 'memory'))).toBe(false);
  });
});
