import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ENGINE_HEALTH, EngineHealthSource, JOBS_HEALTH, JobsHealthSource } from '../common/health/health-sources';

export const SERVICE_NAME = 'bdi-backend';

export interface HealthBody {
  status: 'ok';
  device: 'cpu' | 'cuda';
  reason?: string;
  /** BDI_DEVICE: what was asked for (cpu, cuda, auto). */
  deviceRequested: string;
  /** Why CUDA is not in use when CUDA was asked for (the provider's failure), or why the backbone did not load. */
  deviceDetail?: string;
  model: string;
  version: string;
  service: string;
  ready: boolean;
  workers: number;
  jobsInMemory: number;
  idempotencyKeysInMemory: number;
  jobRunTimeoutSec: number;
  jobs: Record<string, number>;
  jobsBackend: { backend: 'sqlite' | 'redis'; connection: 'up' | 'down'; node: string };
  request_id: string;
  recipe_id: string;
  requestId: string;
}

@Injectable()
export class HealthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(ENGINE_HEALTH) private readonly engine?: EngineHealthSource,
    @Optional() @Inject(JOBS_HEALTH) private readonly jobs?: JobsHealthSource,
  ) {}

  /** Merged body of both originals' /health. */
  async health(requestId: string, recipeId: string): Promise<HealthBody> {
    const engine = this.engine?.engineHealth();
    const jobs = await this.jobs?.jobsHealth();
    const device = engine?.device ?? 'cpu';
    return {
      status: 'ok',
      device,
      ...(device === 'cpu' ? { reason: 'cuda_not_available' } : {}),
      deviceRequested: this.config.inference.device,
      // 'cpu_requested' only restates deviceRequested; anything else explains the reason.
      ...(engine?.deviceDetail && engine.deviceDetail !== 'cpu_requested' ? { deviceDetail: engine.deviceDetail } : {}),
      model: engine?.model ?? this.config.inference.backbone ?? 'unloaded',
      version: this.config.version,
      service: SERVICE_NAME,
      ready: this.isReady(),
      workers: engine?.workers ?? 0,
      jobsInMemory: jobs?.jobsInMemory ?? 0,
      idempotencyKeysInMemory: jobs?.idempotencyKeysInMemory ?? 0,
      jobRunTimeoutSec: this.config.jobs.runTimeoutSeconds,
      jobs: jobs?.countsByStatus ?? {},
      jobsBackend: { backend: jobs?.backend ?? 'sqlite', connection: jobs?.connection ?? 'up', node: jobs?.node ?? this.config.jobs.nodeId },
      request_id: requestId,
      recipe_id: recipeId,
      requestId,
    };
  }

  /** Ready when the worker pool is up, every worker loaded the backbone and the job store answers. */
  isReady(): boolean {
    return (this.engine?.engineHealth().ready ?? false) && (this.jobs?.jobsConnected() ?? true);
  }
}
