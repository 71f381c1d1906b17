// The 200 bodies of the inspection routes (and of their jobs' results), with the wire names the WPF GUI reads.
// The services return these types; the classes drive the OpenAPI 200 schemas.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ModelSource } from '../../recipes/model-store';

const MODEL_SOURCES = ['recipe', 'recipe_case_insensitive', 'default_recipe', 'legacy_layout'];

export class ArtifactRefResponse {
  @ApiProperty({ description: 'Relative to BDI_MODELS_DIR', example: 'recipes/default/inspection-1/Inspection_inspection-1_memory.npz' })
  path!: string;
  @ApiProperty({ enum: MODEL_SOURCES }) source!: ModelSource;
}

export class ModelArtifactsResponse {
  @ApiProperty({ type: ArtifactRefResponse, nullable: true }) memory!: ArtifactRefResponse | null;
  @ApiProperty({ type: ArtifactRefResponse, nullable: true }) index!: ArtifactRefResponse | null;
  @ApiProperty({ type: ArtifactRefResponse, nullable: true }) calib!: ArtifactRefResponse | null;
}

/** Which model answered (every inference answer, /state and /manifest): a fallback is never hidden. */
export class ModelProvenanceResponse {
  @ApiProperty({ enum: MODEL_SOURCES, nullable: true, description: 'Where the memory came from' })
  model_source!: ModelSource | null;
  @ApiProperty({ description: 'True when any artifact came from outside the recipe folder' })
  model_fallback!: boolean;
  @ApiProperty({ type: ModelArtifactsResponse })
  model_artifacts!: ModelArtifactsResponse;
}

export class FitOkResponse {
  @ApiProperty({ description: 'Patch embeddings extracted from the OK images' }) n_embeddings!: number;
  @ApiProperty({ description: 'Patches kept in the memory bank' }) coreset_size!: number;
  @ApiProperty({ type: [Number], example: [16, 16], description: '[rows, cols] of the token grid' }) token_shape!: [number, number];
  @ApiProperty() coreset_rate_requested!: number;
  @ApiProperty() coreset_rate_applied!: number;
  @ApiProperty({
    example: 'aspect 224 · weights 0/1/0.5 · floors 0.05/0.047/0.18 · top-mean 1%',
    description: 'How the fitted model looks at its images: input sizing, feature-block weights and noise floors, position, score statistic (chosen by self-tuning unless BDI_SELF_TUNING=0); GET /manifest has it in full',
  })
  detector_profile!: string;
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
}

export class CalibrateNgResponse {
  @ApiProperty({ description: 'The stored decision threshold' }) threshold!: number;
  @ApiProperty() ok_mean!: number;
  @ApiProperty() ng_mean!: number;
  @ApiProperty({ description: 'The score_percentile-th percentile of the OK scores' }) p99_ok!: number;
  @ApiProperty({ type: Number, nullable: true, description: '5th percentile of the NG scores (null without NG)' }) p5_ng!: number | null;
  @ApiProperty() mm_per_px!: number;
  @ApiProperty() area_mm2_thr!: number;
  @ApiProperty() score_percentile!: number;
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
}

export class RegionResponse {
  @ApiProperty({ type: [Number], example: [10, 12, 8, 6], description: '[x, y, w, h], pixels of the crop' }) bbox!: [number, number, number, number];
  @ApiProperty() area_px!: number;
  @ApiProperty() area_mm2!: number;
  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'number' } }, description: 'Outline, [x, y] points' })
  contour!: Array<[number, number]>;
}

/** /infer regions also carry x, y, w, h (the GUI reads them) beside bbox. */
export class InferRegionResponse extends RegionResponse {
  @ApiProperty() x!: number;
  @ApiProperty() y!: number;
  @ApiProperty() w!: number;
  @ApiProperty() h!: number;
}

/** What a heatmap's gray levels stand for: gray g is the score min + (g / 255)·(max − min). */
export class HeatmapLegendResponse {
  @ApiProperty({ enum: ['image', 'absolute'] }) mode!: 'image' | 'absolute';
  @ApiProperty() min!: number;
  @ApiProperty() max!: number;
  @ApiProperty() threshold!: number;
  @ApiProperty({ type: Number, nullable: true, description: "The threshold's place on the range (0..1; null for a flat map)" }) threshold_level!: number | null;
}

export class InferResponse extends ModelProvenanceResponse {
  @ApiProperty({ description: 'Anomaly score of the crop' }) score!: number;
  @ApiProperty({ description: 'Calibrated threshold in force' }) threshold!: number;
  @ApiProperty({ enum: ['ok', 'ng'], description: 'ng when score ≥ threshold' }) decision!: 'ok' | 'ng';
  @ApiProperty({ type: [Number], example: [16, 16] }) token_shape!: [number, number];
  @ApiProperty({ type: String, nullable: true, description: 'PNG heatmap (NG, or include_heatmap=true)' }) heatmap_png_base64!: string | null;
  @ApiProperty({ type: HeatmapLegendResponse, nullable: true, description: 'Legend of the heatmap (null without one)' }) heatmap_scale!: HeatmapLegendResponse | null;
  @ApiProperty({ type: [InferRegionResponse], description: 'Defect regions (NG only)' }) regions!: InferRegionResponse[];
  @ApiProperty({ description: 'Regions over area_mm2_thr, counted on OK parts too' }) regions_above_area_threshold!: number;
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
}

export class DatasetItemResponse {
  @ApiProperty({ enum: ['ok', 'ng'] }) label!: string;
  @ApiProperty() filename!: string;
  @ApiProperty({ type: Number, nullable: true }) mm_per_px!: number | null;
  @ApiProperty({ type: Number, nullable: true }) score!: number | null;
  @ApiProperty() threshold!: number;
  @ApiPropertyOptional({ enum: ['ok', 'ng'] }) decision?: 'ok' | 'ng';
  @ApiProperty({ type: [RegionResponse] }) regions!: RegionResponse[];
  @ApiProperty() n_regions!: number;
  @ApiPropertyOptional() regions_above_area_threshold?: number;
  @ApiPropertyOptional({ description: 'With include_heatmap' }) heatmap_png_base64?: string;
  @ApiPropertyOptional({ type: HeatmapLegendResponse }) heatmap_scale?: HeatmapLegendResponse;
  @ApiProperty({ type: String, nullable: true, description: 'Why this sample could not be scored' }) error!: string | null;
}

export class InferDatasetResponse extends ModelProvenanceResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty() role_id!: string;
  @ApiProperty() roi_id!: string;
  @ApiProperty() recipe_id!: string;
  @ApiProperty() model_key!: string;
  @ApiProperty() request_id!: string;
  @ApiProperty() n_total!: number;
  @ApiProperty() n_errors!: number;
  @ApiProperty({ type: [DatasetItemResponse] }) items!: DatasetItemResponse[];
}

export class CalibrateDatasetResponse extends ModelProvenanceResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty() threshold!: number;
  @ApiProperty() score_percentile!: number;
  @ApiProperty() area_mm2_thr!: number;
  @ApiProperty() n_ok!: number;
  @ApiProperty() n_ng!: number;
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
  @ApiProperty() role_id!: string;
  @ApiProperty() roi_id!: string;
  @ApiProperty() model_key!: string;
}

export class RefusedFallbackResponse {
  @ApiProperty() kind!: string;
  @ApiProperty() path!: string;
  @ApiProperty({ enum: MODEL_SOURCES }) source!: ModelSource;
}

export class DatasetClassResponse {
  @ApiProperty() count!: number;
  @ApiProperty({ type: [String] }) files!: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'boolean' }, description: 'file → has a meta JSON' }) meta!: Record<string, boolean>;
}

export class ManifestDatasetsResponse {
  @ApiProperty() role_id!: string;
  @ApiProperty() roi_id!: string;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/DatasetClassResponse' } })
  classes!: Record<string, DatasetClassResponse>;
}

export class DetectorResponse {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The detector profile stored with the memory (input, features {weights, floors, unitNorm}, position, score, smoothing {map, score} in patches); null for models fitted before profiles (they run the baseline)',
  })
  profile!: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true, example: 'aspect 224 · weights 0.1/1/0.5 · floors 0.06/0.04/1 · unit norm · position 1 · p99 · smoothing σ 1/4' }) summary!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Fit-time self-tuning report: tuned, reason, heldOutImages, syntheticDefects, memoryImages, baseline and chosen {profile, imageAuroc, cellAuroc, objective, requiredGain}, candidates (each with the objective gain it needed over the incumbent), ms',
  })
  tuning!: Record<string, unknown> | null;
}

export class ManifestResponse extends ModelProvenanceResponse {
  @ApiProperty() role_id!: string;
  @ApiProperty() roi_id!: string;
  @ApiProperty() recipe_id!: string;
  @ApiProperty() model_key!: string;
  @ApiProperty({ description: 'Memory present and loadable' }) memory!: boolean;
  @ApiProperty({ type: DetectorResponse, nullable: true, description: 'How the model looks at its images; null without a loadable memory' })
  detector!: DetectorResponse | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'The stored calibration JSON' })
  calib!: Record<string, unknown> | null;
  @ApiProperty({ type: ManifestDatasetsResponse }) datasets!: ManifestDatasetsResponse;
  @ApiProperty() request_id!: string;
  @ApiPropertyOptional({ enum: ['model_not_found'] }) reason?: string;
  @ApiPropertyOptional({ type: [RefusedFallbackResponse] }) refused_fallbacks?: RefusedFallbackResponse[];
}

export class StateResponse extends ModelProvenanceResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty() memory_fitted!: boolean;
  @ApiProperty() calib_present!: boolean;
  @ApiPropertyOptional({ enum: ['corrupt_artifact', 'model_not_found'] }) reason?: string;
  @ApiPropertyOptional({ type: [String], description: 'Unreadable artifacts (relative paths)' }) corrupt_artifacts?: string[];
  @ApiPropertyOptional({ type: [RefusedFallbackResponse] }) refused_fallbacks?: RefusedFallbackResponse[];
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
  @ApiProperty() role_id!: string;
  @ApiProperty() roi_id!: string;
  @ApiProperty() model_key!: string;
}
