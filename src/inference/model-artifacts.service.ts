// The model's artifacts as the inspection services read them: the memory/index/calib probe, the calib JSON, the
// npz loadability cache and dataset samples. All file access goes through ModelStore.
import { describeProfile, parseDetectorProfile, PROFILE_METADATA_KEY, TUNING_METADATA_KEY } from '../engine/profile/detector-profile';
import type { DetectorResponse, ModelProvenanceResponse } from './dto/inspection-responses.dto';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { decodeMemoryNpz } from '../engine/npz';
import type { MemoryArtifactRef } from '../engine/memory-cache';
import { modelVersionPath, readModelVersion } from '../engine/model-version';
import * as path from 'node:path';
import {
  DatasetBase,
  DatasetLabel,
  FileStats,
  ModelRef,
  ModelSource,
  ModelStore,
  ResolvedArtifact,
  parseLenientJson,
  stemOf,
} from '../recipes/model-store';
import { validateMmPerPx } from '../recipes/mm-per-px';
import { parseShape } from './infer-wire';
import { InspectionDiagnostics } from './inspection-diagnostics.service';
import type { ParsedShape } from './inference.types';

export interface CalibInfo {
  path: string | null;
  raw: Record<string, unknown> | null;
  threshold: number | null;
  scorePercentile: number;
  areaMm2Thr: number;
}

export interface Probe {
  memory: ResolvedArtifact;
  index: ResolvedArtifact;
  calib: ResolvedArtifact;
  /** BDI_STRICT_RECIPES=1: artifacts found only through a fallback, treated as absent. */
  refusedFallbacks: Array<{ kind: string; path: string; source: ModelSource }>;
}


export interface Sample {
  bytes: Uint8Array;
  mmPerPx: number;
  shape: ParsedShape;
}

@Injectable()
export class ModelArtifacts {
  private readonly loadable = new Map<string, { key: string; ok: boolean; metadata: Record<string, unknown> }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ModelStore,
    private readonly diagnostics: InspectionDiagnostics,
  ) {}

  /** Resolves memory, index and calib of a model (a diagnostics event for each one not found). */
  async probe(ref: ModelRef): Promise<Probe> {
    const [memory, index, calib] = await Promise.all([
      this.store.resolveArtifact(ref, 'memory'),
      this.store.resolveArtifact(ref, 'index'),
      this.store.resolveArtifact(ref, 'calib'),
    ]);
    const refusedFallbacks: Probe['refusedFallbacks'] = [];
    const allowed = (artifact: ResolvedArtifact): ResolvedArtifact => {
      if (!this.config.storage.strictRecipes || !artifact.path || artifact.source === 'recipe') return artifact;
      refusedFallbacks.push({ kind: artifact.kind, path: path.relative(this.store.root, artifact.path), source: artifact.source as ModelSource });
      return { ...artifact, path: null, source: null, stats: null };
    };
    const probe = { memory: allowed(memory), index: allowed(index), calib: allowed(calib), refusedFallbacks };
    for (const artifact of [probe.memory, probe.index, probe.calib]) {
      if (!artifact.path) this.diagnostics.artifactNotFound(ref, artifact);
    }
    return probe;
  }

  /**
   * The dataset a fit or a dataset operation reads. With BDI_STRICT_RECIPES=1 another recipe's (or the legacy)
   * dataset is refused like a fallback model: 404 model_not_found naming it.
   */
  async datasetBase(ref: ModelRef): Promise<DatasetBase | null> {
    const base = await this.store.resolveDatasetBase(ref.recipeId, ref.roleId, ref.roiId);
    if (!base || base.own || !this.config.storage.strictRecipes) return base;
    const found = path.relative(this.store.root, base.path);
    throw new ApiError(
      'model_not_found',
      `No dataset of recipe '${ref.recipeId}' for role '${ref.roleId}', ROI '${ref.roiId}' in its own folder; BDI_STRICT_RECIPES=1 refuses the fallback dataset ${found}. Upload samples to this recipe or use the recipe that owns them.`,
      {
        recipe_id: ref.recipeId,
        role_id: ref.roleId,
        roi_id: ref.roiId,
        refused_fallbacks: [{ kind: 'dataset', path: found }],
        paths_tried: { dataset: [path.relative(this.store.root, this.store.ownDatasetBase(ref.recipeId, ref.roleId, ref.roiId)), found] },
      },
    );
  }

  /** What a "memory missing" / "calibration missing" error names: the model looked for and every path tried. */
  lookedFor(ref: ModelRef, probe: Probe, kinds: Array<'memory' | 'index' | 'calib'>): Record<string, unknown> {
    return {
      recipe_id: ref.recipeId,
      role_id: ref.roleId,
      roi_id: ref.roiId,
      model_key: ref.modelKey,
      paths_tried: Object.fromEntries(kinds.map((k) => [k, probe[k].probed.map((p) => path.relative(this.store.root, p.path))])),
    };
  }

  /** The model's provenance as the responses show it (paths relative to the models directory). */
  provenance(probe: Probe): ModelProvenanceResponse {
    const describe = (artifact: ResolvedArtifact) =>
      artifact.path && artifact.source ? { path: path.relative(this.store.root, artifact.path), source: artifact.source } : null;
    const found = [probe.memory, probe.index, probe.calib].filter((a) => a.path !== null);
    return {
      model_source: probe.memory.source,
      model_fallback: found.some((a) => a.source !== 'recipe'),
      model_artifacts: { memory: describe(probe.memory), index: describe(probe.index), calib: describe(probe.calib) },
    };
  }

  /**
   * With BDI_STRICT_RECIPES=1 a model reachable only through a fallback is 404 model_not_found naming the recipe,
   * role, ROI and every path looked at; otherwise (or when nothing was refused) this returns.
   */
  assertNoRefusedFallback(ref: ModelRef, probe: Probe): void {
    if (probe.refusedFallbacks.length === 0) return;
    const found = probe.refusedFallbacks.map((f) => `${f.path} (${f.source})`).join(', ');
    throw new ApiError(
      'model_not_found',
      `No model of recipe '${ref.recipeId}' for role '${ref.roleId}', ROI '${ref.roiId}' in its own folder; BDI_STRICT_RECIPES=1 refuses the fallback ${found}. Fit this recipe (/fit_ok) or use the recipe that owns the model.`,
      {
        recipe_id: ref.recipeId,
        role_id: ref.roleId,
        roi_id: ref.roiId,
        model_key: ref.modelKey,
        refused_fallbacks: probe.refusedFallbacks,
        paths_tried: this.lookedFor(ref, probe, ['memory', 'index', 'calib']).paths_tried,
      },
    );
  }

  /** The calib JSON of either producer; threshold null when missing or not > 0. */
  async readCalib(resolved: ResolvedArtifact): Promise<CalibInfo> {
    const defaults = { scorePercentile: this.config.inference.scorePercentile, areaMm2Thr: this.config.inference.areaMm2Thr };
    if (!resolved.path) return { path: null, raw: null, threshold: null, ...defaults };
    const raw = await this.store.readJson(resolved.path);
    const threshold = typeof raw.threshold === 'number' && Number.isFinite(raw.threshold) && raw.threshold > 0 ? raw.threshold : null;
    const pct = typeof raw.score_percentile === 'number' && Number.isFinite(raw.score_percentile) ? Math.trunc(raw.score_percentile) : defaults.scorePercentile;
    const area = typeof raw.area_mm2_thr === 'number' && Number.isFinite(raw.area_mm2_thr) ? raw.area_mm2_thr : defaults.areaMm2Thr;
    return { path: resolved.path, raw, threshold, scorePercentile: pct, areaMm2Thr: area };
  }

  /** Writes the calib JSON under the model lock; returns its path. */
  async writeCalib(ref: ModelRef, content: Record<string, unknown>): Promise<string> {
    const file = this.store.artifactPath(ref, 'calib');
    await this.store.withModelLock(ref, async (lease) => {
      lease.assertHeld();
      await this.store.writeJson(file, content);
    });
    return file;
  }

  /** Whether the resolved npz parses (cached by path, content version, size and mtime). */
  async memoryLoadable(memory: ResolvedArtifact): Promise<boolean> {
    return (await this.readMemory(memory))?.ok ?? false;
  }

  /** How the model looks at its images: the detector profile and the fit-time tuning report from the npz
   *  metadata; null without a loadable memory, profile null for models fitted before profiles existed. */
  async detector(memory: ResolvedArtifact): Promise<DetectorResponse | null> {
    const read = await this.readMemory(memory);
    if (!read?.ok) return null;
    const profile = (read.metadata[PROFILE_METADATA_KEY] ?? null) as Record<string, unknown> | null;
    let summary: string | null = null;
    try {
      // Block count is not checked here (no backbone on the main thread): any length is accepted for display.
      const raw = profile as { features?: { weights?: unknown[] } } | null;
      if (raw) summary = describeProfile(parseDetectorProfile(raw, raw.features?.weights?.length ?? 0));
    } catch {
      summary = null;
    }
    return { profile, summary, tuning: (read.metadata[TUNING_METADATA_KEY] ?? null) as Record<string, unknown> | null };
  }

  private async readMemory(memory: ResolvedArtifact): Promise<{ ok: boolean; metadata: Record<string, unknown> } | null> {
    if (!memory.path || !memory.stats) return null;
    const key = `${readModelVersion(modelVersionPath(memory.path)) ?? ''}:${memory.stats.size}:${memory.stats.mtimeMs}`;
    const cached = this.loadable.get(memory.path);
    if (cached && cached.key === key) return cached;
    let ok = true;
    let metadata: Record<string, unknown> = {};
    try {
      metadata = decodeMemoryNpz(await this.store.readFile(memory.path), memory.path).metadata;
    } catch (error) {
      ok = false;
      this.diagnostics.memoryUnreadable(memory.path, error);
    }
    if (this.loadable.size > this.config.storage.cacheMaxEntries) this.loadable.clear();
    const entry = { key, ok, metadata };
    this.loadable.set(memory.path, entry);
    return entry;
  }

  /** A model was (re)written: forget what was known about loadability. */
  forgetLoadability(): void {
    this.loadable.clear();
  }

  /** The client's file name kept in a stored sample's meta (`original_filename`, else the GUI's own `filename`). */
  async originalName(base: DatasetBase, label: DatasetLabel, filename: string): Promise<string | null> {
    try {
      const metaPath = this.store.sampleFilePath(base, label, `${stemOf(filename)}.json`);
      if (!(await this.store.fileStats(metaPath))) return null;
      const meta = parseLenientJson((await this.store.readFile(metaPath)).toString('utf8')) as Record<string, unknown> | undefined;
      const name = meta?.original_filename ?? meta?.filename;
      return typeof name === 'string' && name !== '' && name !== filename ? name : null;
    } catch {
      return null;
    }
  }

  /** One dataset sample for scoring: bytes, mm_per_px (meta key, else default) and the meta's shape. */
  async readSample(base: DatasetBase, label: DatasetLabel, filename: string, defaultMm: unknown): Promise<Sample> {
    const file = this.store.sampleFilePath(base, label, filename);
    if (!(await this.store.fileStats(file))) throw new ApiError('file_not_found');
    let meta: Record<string, unknown> = {};
    const metaPath = this.store.sampleFilePath(base, label, `${stemOf(filename)}.json`);
    if (await this.store.fileStats(metaPath)) {
      const parsed = parseLenientJson((await this.store.readFile(metaPath)).toString('utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) meta = parsed as Record<string, unknown>;
    }
    const mmRaw = 'mm_per_px' in meta ? meta.mm_per_px : defaultMm;
    if (mmRaw === null || mmRaw === undefined) throw new ApiError('bad_request', 'mm_per_px missing and default_mm_per_px not provided');
    const mmPerPx = validateMmPerPx(mmRaw);
    let shape: ParsedShape = null;
    const shapeJson = meta.shape_json;
    if (typeof shapeJson === 'string' && shapeJson.trim() !== '') shape = parseShape(shapeJson);
    else if (shapeJson && typeof shapeJson === 'object' && !Array.isArray(shapeJson)) shape = shapeJson as ParsedShape;
    return { bytes: await this.store.readFile(file), mmPerPx, shape };
  }
}

/** The engine's reference to a probed memory (the caller checked that it exists). */
export function memoryRef(probe: Probe): MemoryArtifactRef {
  return {
    npzPath: probe.memory.path as string,
    npzMtimeMs: (probe.memory.stats as FileStats).mtimeMs,
    indexPath: probe.index.path,
    indexMtimeMs: probe.index.stats?.mtimeMs ?? null,
    versionPath: modelVersionPath(probe.memory.path as string),
  };
}
