// Progress of a long task, shared between a worker and the main thread without messages. Every task gets a
// control array (Int32Array over a SharedArrayBuffer): [abort, phase, done, total]. The caller stores the abort
// flag; the worker stores the progress; the pool polls it while the task runs.

/** Phases of the long tasks, in the order they happen. Stored by index in the control array. */
export const TASK_PHASES = ['queued', 'tuning', 'features', 'coreset', 'artifacts', 'inference', 'calibration'] as const;
export type TaskPhase = (typeof TASK_PHASES)[number];

export interface TaskProgress {
  phase: TaskPhase;
  done: number;
  total: number;
}

export const CONTROL_ABORT = 0;
const CONTROL_PHASE = 1;
const CONTROL_DONE = 2;
const CONTROL_TOTAL = 3;
export const CONTROL_LENGTH = 4;

export function newTaskControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CONTROL_LENGTH * Int32Array.BYTES_PER_ELEMENT));
}

/** Worker side: publishes the task's progress (a control array from an older caller without room is ignored). */
export function reportTaskProgress(control: Int32Array | undefined, phase: TaskPhase, done: number, total: number): void {
  if (!control || control.length < CONTROL_LENGTH) return;
  Atomics.store(control, CONTROL_TOTAL, total);
  Atomics.store(control, CONTROL_DONE, done);
  Atomics.store(control, CONTROL_PHASE, TASK_PHASES.indexOf(phase));
}

/** Main-thread side: the progress last published, or null before the task published any. */
export function readTaskProgress(control: Int32Array): TaskProgress | null {
  const phase = TASK_PHASES[Atomics.load(control, CONTROL_PHASE)] ?? 'queued';
  if (phase === 'queued') return null;
  return { phase, done: Atomics.load(control, CONTROL_DONE), total: Atomics.load(control, CONTROL_TOTAL) };
}
