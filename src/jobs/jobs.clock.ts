/** Wall clock of the jobs module (epoch ms); a provider so unit specs can move time by hand. */
export interface JobsClock {
  now(): number;
}

export const JOBS_CLOCK = Symbol('JOBS_CLOCK');

export const systemClock: JobsClock = { now: () => Date.now() };
