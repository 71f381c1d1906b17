// Thresholds: /calibrate_ng (from scores the client measured) and /calibrate_dataset (scores the dataset's OK/NG
// samples through ScoringService, then chooses). Both write the model's calib JSON.
import { Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { chooseThreshold } from '../engine/calibration';
import { percentile } from '../engine/percentile';
import { DatasetLabel, ModelStore } from '../recipes/model-store';
import { PyFloat, pythonUtcIso } from '../recipes/python-float';
import { memoryNotFitted } from './engine-errors';
import { UnusableSample, unusableSamplesError } from './unusable-samples';
import { EngineRunOptions, INTERACTIVE } from './inspection-engine';
import { InspectionDiagnostics, elapsedMs } from './inspection-diagnostics.service';
import { CalibrateDatasetResponse, CalibrateNgResponse } from './dto/inspection-responses.dto';
import { CalibrateDatasetInput, CalibrateNgInput } from './inference.types';
import { ModelArtifacts, memoryRef } from './model-artifacts.service';
import { ScoringService } from './scoring.service';

@Injectable()
export class CalibrationService {
  constructor(
    private readonly store: ModelStore,
    private readonly artifacts: ModelArtifacts,
    private readonly scoring: ScoringService,
    private readonly diagnostics: InspectionDiagnostics,
  ) {}

  // ================================================================= /calibrate_ng

  async calibrateNg(input: CalibrateNgInput): Promise<CalibrateNgResponse> {
    const started = performance.now();
    this.diagnostics.event('calibrate_ng.request', input, {
      ok_count: input.okScores.length,
      ng_count: input.ngScores.length,
      mm_per_px: input.mmPerPx,
      area_mm2_thr: input.areaMm2Thr,
      score_percentile: input.scorePercentile,
    });
    try {
      if (input.okScores.length === 0) throw new ApiError('calibration_failed', 'Se requiere al menos 1 score OK para calibrar');
      checkPercentile(input.scorePercentile);
      const threshold = chooseThreshold(input.okScores, input.ngScores, input.scorePercentile);
      const okMean = mean(input.okScores);
      const ngMean = input.ngScores.length > 0 ? mean(input.ngScores) : 0;
      const p99Ok = percentile(input.okScores, input.scorePercentile);
      const p5Ng = input.ngScores.length > 0 ? percentile(input.ngScores, 5) : null;
      const body: CalibrateNgResponse = {
        threshold,
        ok_mean: okMean,
        ng_mean: ngMean,
        p99_ok: p99Ok,
        p5_ng: p5Ng,
        mm_per_px: input.mmPerPx,
        area_mm2_thr: input.areaMm2Thr,
        score_percentile: input.scorePercentile,
        request_id: input.requestId,
        recipe_id: input.recipeId,
      };
      const calibPath = await this.artifacts.writeCalib(input, {
        ...body,
        threshold: new PyFloat(threshold),
        ok_mean: new PyFloat(okMean),
        ng_mean: new PyFloat(ngMean),
        p99_ok: new PyFloat(p99Ok),
        p5_ng: p5Ng === null ? null : new PyFloat(p5Ng),
        mm_per_px: new PyFloat(input.mmPerPx),
        area_mm2_thr: new PyFloat(input.areaMm2Thr),
      });
      await this.diagnostics.calibSaved(input, calibPath, threshold);
      this.diagnostics.event('calibrate_ng.response', input, {
        elapsed_ms: elapsedMs(started),
        threshold,
        ok_mean: okMean,
        ng_mean: ngMean,
        p99_ok: p99Ok,
        p5_ng: p5Ng,
      });
      return body;
    } catch (error) {
      const handled = error instanceof ApiError && error.status < 500;
      this.diagnostics.event(handled ? 'calibrate_ng.bad_request' : 'calibrate_ng.error', input, {
        error: (error as Error).message,
        ...(handled ? {} : { trace: (error as Error).stack ?? null }),
      });
      throw error;
    }
  }

  // ================================================================= /calibrate_dataset

  async calibrateDataset(input: CalibrateDatasetInput, run: EngineRunOptions = INTERACTIVE): Promise<CalibrateDatasetResponse> {
    checkPercentile(input.scorePercentile);
    const probe = await this.artifacts.probe(input);
    this.artifacts.assertNoRefusedFallback(input, probe);
    if (!probe.memory.path) throw memoryNotFitted('/calibrate_dataset', this.artifacts.lookedFor(input, probe, ['memory', 'index']));
    const model = { memory: memoryRef(probe), threshold: null, scorePercentile: input.scorePercentile, areaMm2Thr: input.areaMm2Thr };
    const base = await this.artifacts.datasetBase(input);
    const listing = await this.store.listDataset(base);
    const total = (listing.ok?.files.length ?? 0) + (listing.ng?.files.length ?? 0);
    let before = 0; // samples of the labels already scored
    run.onProgress?.({ phase: 'calibration', done: 0, total });
    // A sample that cannot be scored is reported with every other one (the original skipped them silently, so a
    // threshold could come from 12 of 15 samples without anyone knowing); a broken model or pool ends the run.
    const unusable: UnusableSample[] = [];
    const scoreLabel = async (label: DatasetLabel): Promise<number[]> => {
      const work = (listing[label]?.files ?? []).map((filename) => ({ label, filename }));
      const scored = await this.scoring.scoreSamples(base, work, model, {
        defaultMmPerPx: input.defaultMmPerPx,
        wantHeatmap: false,
        route: '/calibrate_dataset',
        abortMessage: 'Calibration aborted',
        run,
        onScored: (done) => run.onProgress?.({ phase: 'calibration', done: before + done, total }),
      });
      before += work.length;
      for (const s of scored) {
        if (!s.error) continue;
        const reason = typeof s.error.details?.reason === 'string' ? s.error.details.reason : s.error.message;
        unusable.push({ label: s.label, filename: s.filename, original_filename: s.originalName ?? null, code: s.error.code, reason });
      }
      return scored.map((s) => s.output?.score).filter((s): s is number => s !== undefined && s !== null && Number.isFinite(s));
    };
    const okScores = await scoreLabel('ok');
    const ngScores = await scoreLabel('ng');
    // The original's messages first (clients match them), with every unusable sample in the details.
    if (okScores.length === 0) throw new ApiError('no_valid_ok_samples', undefined, unusable.length > 0 ? unusableSamplesError(unusable).details : null);
    if (input.requireNg && ngScores.length === 0) throw new ApiError('no_ng_samples');
    if (unusable.length > 0) throw unusableSamplesError(unusable);
    const threshold = chooseThreshold(okScores, ngScores, input.scorePercentile);
    const calibPath = await this.artifacts.writeCalib(input, {
      threshold: new PyFloat(threshold),
      score_percentile: input.scorePercentile,
      area_mm2_thr: new PyFloat(input.areaMm2Thr),
      recipe_id: input.recipeId,
      role_id: input.roleId,
      roi_id: input.roiId,
      model_key: input.modelKey,
      created_at_utc: pythonUtcIso(Math.floor((performance.timeOrigin + performance.now()) * 1000)),
    });
    await this.diagnostics.calibSaved(input, calibPath, threshold);
    return {
      status: 'ok',
      threshold,
      score_percentile: input.scorePercentile,
      area_mm2_thr: input.areaMm2Thr,
      n_ok: okScores.length,
      n_ng: ngScores.length,
      request_id: input.requestId,
      recipe_id: input.recipeId,
      role_id: input.roleId,
      roi_id: input.roiId,
      model_key: input.modelKey,
      ...this.artifacts.provenance(probe),
    };
  }
}

function checkPercentile(p: number): void {
  if (!(p >= 0 && p <= 100)) throw new ApiError('invalid_score_percentile', undefined, { score_percentile: p });
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
