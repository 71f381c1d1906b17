// A job task whose runs finish when the spec says so, and a registry holding it next to trivial handlers for every
// promised task (so the boot check passes).
import { ApiError } from '../../common/errors/api-error';
import { JOB_TASK_NAMES } from '../job-task';
import { JobRunContext, JobTaskHandler, JobTaskRegistry } from '../job-task-registry';

export class ManualTask implements JobTaskHandler<{ n: number }> {
  readonly name = 'manual';
  readonly runs: Array<{
    resolve: (v: Record<string, unknown>) => void;
    reject: (e: unknown) => void;
    signal: AbortSignal;
    context: JobRunContext;
  }> = [];
  timeoutSeconds(): number {
    return 60;
  }
  validate(fields: Record<string, unknown>): { n: number } {
    if (typeof fields.n !== 'number') throw new ApiError('validation_error');
    const labels = Object.fromEntries(['recipe_id', 'role_id', 'roi_id'].filter((k) => k in fields).map((k) => [k, fields[k]]));
    return { n: fields.n, ...labels };
  }
  run(_payload: { n: number }, context: JobRunContext): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => this.runs.push({ resolve, reject, signal: context.signal, context }));
  }
}

export function manualTaskRegistry(task: ManualTask): JobTaskRegistry {
  const registry = new JobTaskRegistry();
  registry.require('manual');
  registry.register(task);
  for (const name of JOB_TASK_NAMES) registry.register({ ...task, name, timeoutSeconds: () => 1, validate: (f) => f, run: async () => ({}) });
  return registry;
}

/** One turn of the event loop: the runner starts queued jobs on a later tick. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));
