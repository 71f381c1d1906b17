// What /health reports about the engine and the jobs: ports the Pool and Jobs modules provide (ENGINE_HEALTH,
// JOBS_HEALTH) and the Health module reads.

export interface EngineHealth {
  ready: boolean;
  device: 'cpu' | 'cuda';
  /** Why the engine runs on the CPU (e.g. CUDA provider not installed); absent on CUDA. */
  deviceDetail?: string;
  model: string;
  workers: number;
}

export interface JobsHealth {
  /** Where jobs live: the embedded SQLite runner or Redis/BullMQ. */
  backend: 'sqlite' | 'redis';
  /** Connection to the job store: always `up` for SQLite; the Redis client's state otherwise. */
  connection: 'up' | 'down';
  node: string;
  jobsInMemory: number;
  idempotencyKeysInMemory: number;
  countsByStatus: Record<string, number>;
}

export interface EngineHealthSource {
  engineHealth(): EngineHealth;
}

export interface JobsHealthSource {
  jobsHealth(): JobsHealth | Promise<JobsHealth>;
  /** Whether the job store answers now (always true for SQLite). */
  jobsConnected(): boolean;
}

export const ENGINE_HEALTH = Symbol('ENGINE_HEALTH');
export const JOBS_HEALTH = Symbol('JOBS_HEALTH');
