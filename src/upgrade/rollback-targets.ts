import type { RunTenantRow, StepRow } from '../journal/read.js';

/**
 * What `rollback --run` does for one tenant of the upgrade run:
 * - `changed`: restore its pre-upgrade backup (or run the downs of what the run applied);
 * - `closed`: the run closed it (beforeTenant) and was killed or interrupted before it changed anything —
 *   only the hooks run, so `--reopen` lets its users back in;
 * - undefined: nothing to do (never touched, or the run already rolled it back itself).
 */
export type RollbackTarget = 'changed' | 'closed';

/**
 * A migrate step left unfinished (the run was killed or interrupted in it) may have changed the tenant
 * although the journal names no migration: a migration is journaled only after it committed, and one
 * without a transaction changes the tenant statement by statement. (A finished step, failed or not, was
 * checkpointed with every migration it applied.) An optimize step changes the tenant too.
 */
export function changedTenant(steps: readonly StepRow[], applied: readonly string[]): boolean {
  return applied.length > 0 || steps.some((s) => s.step === 'optimize' || unfinished(s, 'migrate'));
}

const unfinished = (s: StepRow, step: string) =>
  s.step === step && s.status !== 'succeeded' && s.status !== 'failed';

/**
 * The run (or the last `--resume` of it) was killed in the tenant's migrate step: its journal may miss a
 * migration that committed in the tenant. A resume that then finished the step journaled those.
 */
export function migrateLeftUnfinished(steps: readonly StepRow[]): boolean {
  const last = steps.filter((s) => s.step === 'migrate').at(-1);
  return last !== undefined && unfinished(last, 'migrate');
}

export function rollbackTargetOf(
  row: Pick<RunTenantRow, 'status' | 'details'>,
  steps: readonly StepRow[],
  applied: readonly string[],
): RollbackTarget | undefined {
  if (row.details?.rolledBack === true) return undefined;
  if (changedTenant(steps, applied)) return 'changed';
  // A finished tenant that changed nothing is as the upgrade reported it (a failed one stays in
  // maintenance on purpose); one the run left unfinished was closed and forgotten.
  const finished = row.status === 'succeeded' || row.status === 'failed';
  if (!finished && steps.some((s) => s.step === 'before-tenant')) return 'closed';
  return undefined;
}
