// Dataset samples of one (recipe, role, ROI): upload, list, read, delete. Reads follow the recipe fallbacks;
// deletes touch only the recipe's own folder (the original deleted from the fallback recipe's dataset).
import { Inject, Injectable } from '@nestjs/common';
import * as path from 'node:path';
import { ApiError } from '../common/errors/api-error';
import { DiagnosticsService } from '../common/diagnostics/diagnostics.service';
import { DatasetLabel, ModelStore, SampleToSave } from '../recipes/model-store';
import { isSafeFileName } from '../recipes/model-paths';
import { parseLenientJson } from '../recipes/model-store';
import { validateMmPerPx } from '../recipes/mm-per-px';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ImageDecodeError } from '../engine/engine-error';
import { decodeImage } from '../engine/image';
import { ClearResponse, DeleteFileResponse, ListResponse, UploadResponse } from './dto/dataset-requests.dto';

export interface DatasetScope {
  recipeId: string;
  requestId: string;
  roleId: string;
  roiId: string;
}

export interface UploadInput extends DatasetScope {
  label: DatasetLabel;
  images: Array<{ bytes: Uint8Array; fileName?: string }>;
  /** One JSON object text per image ("" = no meta), or empty. */
  metas: string[];
}

export interface DatasetFile {
  bytes: Buffer;
  fileName: string;
  contentType: string;
  size: number;
  mtimeMs: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.bmp': 'image/bmp',
  '.webp': 'image/webp',
  '.json': 'application/json',
};

@Injectable()
export class DatasetsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ModelStore,
    private readonly diagnostics: DiagnosticsService,
  ) {}

  /**
   * Validates every meta (JSON object, mm_per_px, recipe lock) before writing anything, so a bad request leaves the
   * dataset as it was (the original wrote the images before a failing one).
   */
  async upload(input: UploadInput): Promise<UploadResponse> {
    const started = performance.now();
    this.diagnostics.event('datasets.upload.request', { ...this.ids(input), label: input.label, n_files: input.images.length });
    if (input.metas.length !== 0 && input.metas.length !== input.images.length) {
      throw new ApiError('metas_length_mismatch', undefined, { images: input.images.length, metas: input.metas.length });
    }
    const metas = input.images.map((_, i) => parseMeta(input.metas[i] ?? '', i));
    await this.checkImages(input.images);
    for (const meta of metas) {
      if ('mm_per_px' in meta) {
        const mm = validateMmPerPx(meta.mm_per_px);
        await this.store.ensureMmPerPx(input.recipeId, mm);
      }
    }
    const samples: SampleToSave[] = input.images.map((image, i) => ({ bytes: image.bytes, clientFileName: image.fileName, meta: metas[i] }));
    const saved = await this.store.saveSamples(input.recipeId, input.roleId, input.roiId, input.label, samples);
    this.diagnostics.event('datasets.upload.response', {
      ...this.ids(input),
      label: input.label,
      elapsed_ms: elapsed(started),
      saved: saved.length,
    });
    return { status: 'ok', saved, request_id: input.requestId, recipe_id: input.recipeId };
  }

  async list(scope: DatasetScope): Promise<ListResponse> {
    this.diagnostics.event('datasets.list.request', this.ids(scope));
    const base = await this.store.resolveDatasetBase(scope.recipeId, scope.roleId, scope.roiId);
    const listing = await this.store.listDataset(base);
    const classes: ListResponse['classes'] = {};
    for (const [label, entry] of Object.entries(listing)) classes[label] = { count: entry.files.length, files: entry.files, meta: entry.meta };
    this.diagnostics.event('datasets.list.response', {
      ...this.ids(scope),
      dataset_base: base?.path ?? null,
      dataset_ok_count: classes.ok?.count ?? 0,
      dataset_ng_count: classes.ng?.count ?? 0,
      classes: Object.keys(classes),
      class_counts: Object.fromEntries(Object.entries(classes).map(([k, v]) => [k, v.count])),
      ...(base ? {} : { dataset_base_reason: 'dataset_base_missing' }),
    });
    return { role_id: scope.roleId, roi_id: scope.roiId, classes, request_id: scope.requestId, recipe_id: scope.recipeId };
  }

  async readFile(scope: DatasetScope, label: DatasetLabel, fileName: string): Promise<DatasetFile> {
    checkFileName(fileName);
    const base = await this.store.resolveDatasetBase(scope.recipeId, scope.roleId, scope.roiId);
    if (!base) throw new ApiError('file_not_found');
    const file = this.store.sampleFilePath(base, label, fileName);
    const stats = await this.store.fileStats(file);
    if (!stats) throw new ApiError('file_not_found');
    const bytes = await this.store.readFile(file);
    const ext = path.extname(fileName).toLowerCase();
    return { bytes, fileName, contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream', size: stats.size, mtimeMs: stats.mtimeMs };
  }

  async readMeta(scope: DatasetScope, label: DatasetLabel, fileName: string): Promise<Record<string, unknown>> {
    checkFileName(fileName);
    const base = await this.store.resolveDatasetBase(scope.recipeId, scope.roleId, scope.roiId);
    if (!base) throw new ApiError('meta_not_found');
    if (!(await this.store.fileStats(this.store.sampleFilePath(base, label, fileName)))) throw new ApiError('meta_not_found');
    const metaPath = this.store.sampleMetaPath(base, label, fileName);
    if (!(await this.store.fileStats(metaPath))) throw new ApiError('meta_not_found');
    const parsed = parseLenientJson((await this.store.readFile(metaPath)).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ApiError('invalid_json_field', `Stored meta of ${fileName} is not a JSON object`, { filename: fileName });
    }
    const meta = { ...(parsed as Record<string, unknown>) };
    if (!('request_id' in meta)) meta.request_id = scope.requestId;
    if (!('recipe_id' in meta)) meta.recipe_id = scope.recipeId;
    return meta;
  }

  /** Deletes from the recipe's own dataset only; a sample inherited from a fallback recipe is a 404. */
  async deleteFile(scope: DatasetScope, label: DatasetLabel, fileName: string): Promise<DeleteFileResponse> {
    checkFileName(fileName);
    const base = await this.store.resolveDatasetBase(scope.recipeId, scope.roleId, scope.roiId);
    let deleted = false;
    if (base && base.own) {
      deleted = await this.store.deleteSample(base, label, fileName);
    } else if (base && (await this.store.fileStats(this.store.sampleFilePath(base, label, fileName)))) {
      throw new ApiError('file_not_found', `file not found in recipe '${scope.recipeId}' (the sample belongs to another recipe's dataset and is not deleted from here)`, {
        filename: fileName,
      });
    }
    this.diagnostics.event('datasets.delete', { ...this.ids(scope), label, filename: fileName, deleted });
    return { deleted, filename: fileName, request_id: scope.requestId, recipe_id: scope.recipeId };
  }

  /** Clears one class of the recipe's own dataset (images and metas); another recipe's samples are never touched. */
  async clear(scope: DatasetScope, label: DatasetLabel, labelAsSent: string): Promise<ClearResponse> {
    const base = await this.store.resolveDatasetBase(scope.recipeId, scope.roleId, scope.roiId);
    const cleared = base && base.own ? await this.store.clearClass(base, label) : 0;
    this.diagnostics.event('datasets.clear', { ...this.ids(scope), label, cleared });
    return { cleared, label: labelAsSent, request_id: scope.requestId, recipe_id: scope.recipeId };
  }

  /**
   * Every image is decoded (header and pixels, within BDI_MAX_IMAGE_PIXELS) before anything is written: a file that
   * could never be fitted or scored is refused with the client's file name and the reason, and nothing is stored.
   */
  private async checkImages(images: UploadInput['images']): Promise<void> {
    const bad: Array<{ index: number; filename: string; code: 'invalid_image' | 'image_too_large'; reason: string }> = [];
    for (const [index, image] of images.entries()) {
      try {
        await decodeImage(image.bytes, { limitInputPixels: this.config.inference.maxImagePixels });
      } catch (error) {
        if (!(error instanceof ImageDecodeError)) throw error;
        bad.push({ index, filename: image.fileName || `images[${index}]`, code: error.code as 'invalid_image' | 'image_too_large', reason: error.message });
      }
    }
    if (bad.length === 0) return;
    const list = bad.map((b) => `${b.filename} (${b.reason})`).join('; ');
    const code = bad.every((b) => b.code === 'image_too_large') ? 'image_too_large' : 'invalid_image';
    throw new ApiError(code, `No se pudo decodificar la imagen: ${list}. Nothing of this upload was stored.`, { files: bad });
  }

  private ids(scope: DatasetScope): Record<string, unknown> {
    return { request_id: scope.requestId, recipe_id: scope.recipeId, role_id: scope.roleId, roi_id: scope.roiId };
  }
}

function checkFileName(fileName: string): void {
  if (!isSafeFileName(fileName)) throw new ApiError('invalid_filename', undefined, { filename: fileName });
}

function parseMeta(text: string, index: number): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ApiError('invalid_json_field', `metas[${index}] is not valid JSON: ${(error as Error).message}`, { field: 'metas', index });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError('invalid_json_field', `metas[${index}] must be a JSON object`, { field: 'metas', index });
  }
  return parsed as Record<string, unknown>;
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
