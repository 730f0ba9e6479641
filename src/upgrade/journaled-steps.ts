import type { TenantContext } from '../fleet/run-fleet.js';
import type { Journal } from '../journal/journal.js';

/**
 * Runs a queue worker's tenant task with its step events also written to run `runId` of the journal on
 * the control database (the run another process — the coordinator — owns), and waits for them to be
 * written before the result goes back: the next attempt at the tenant reads them.
 */
export function withJournaledSteps<T>(
  journal: Journal,
  runId: string,
): (ctx: TenantContext, task: (ctx: TenantContext) => Promise<T>) => Promise<T> {
  const record = journal.stepRecorder(runId);
  return async (ctx, task) => {
    const emit: TenantContext['emit'] = (event) => {
      record(event);
      ctx.emit(event);
    };
    const outcome = await task({ ...ctx, emit });
    await journal.flush();
    return outcome;
  };
}
