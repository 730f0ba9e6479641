import { type ErrorInfo, TenantError } from '../core/errors.js';
import { describeFailure } from '../fleet/describe-failure.js';
import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import { type HistoryOptions, historyExists, historyLocation, readApplied } from '../migration/history.js';
import { restoreCommand } from './after-downs.js';
import type { HookFailed } from './hook-failure.js';
import {
  type BackupTaken,
  type PipelineSettings,
  type StepData,
  UPGRADE_STEPS,
  type UpgradeDetails,
  type UpgradeOperations,
  type UpgradeStep,
} from './types.js';

// What the upgrade pipeline (pipeline.ts) does when a step fails or is interrupted: the step's outcome
// as an error, and the rollback.

/** A step whose failure may have changed the tenant: from here on, a failure means roll back. */
const CHANGES_FROM: UpgradeStep = 'migrate';

export class StepFailed extends Error {
  constructor(
    readonly step: UpgradeStep,
    readonly info: ErrorInfo,
    /** The step failed before it changed the tenant: a rollback would restore what is already there. */
    readonly unchanged = false,
  ) {
    super(info.message);
  }
}

/**
 * An interrupt (Ctrl-C, SIGTERM) stopped a step part-way. Like a killed run's, the step is left unfinished
 * in the journal — not failed, so nothing is rolled back under an aborted signal (which would fail and
 * leave the tenant half-upgraded) — and `upgrade --resume` runs it again: migrate and optimize pick up
 * where they stopped, a backup is taken again.
 */
export class StepInterrupted extends Error {
  constructor(
    readonly step: UpgradeStep,
    readonly info: ErrorInfo,
  ) {
    super(info.message);
  }
}

/**
 * A failed beforeTenant or afterTenant step. Its hook's failure (HookFailed) says what stays of the hook
 * and so whether the tenant was closed (reopened); a failure around it (its session did not open, it left
 * a transaction open) does not know, and says "may". Before: nothing else ran. After: everything else
 * passed, and the tenant is not restored — the hook may have let its users back in, who would lose what
 * they wrote since.
 */
export function hookStepMessage(
  step: 'before-tenant' | 'after-tenant',
  message: string,
  hook: HookFailed | undefined,
): string {
  if (step === 'before-tenant') {
    const what = hook
      ? ''
      : ' — the beforeTenant hook stopped part-way: what it did before failing stays (the tenant may be closed to its users)';
    return `${message}${what}; nothing was backed up or migrated`;
  }
  if (!hook)
    return `${message} — the tenant is upgraded and its post-upgrade backup verified; what the afterTenant hook did before failing stays, so its users may be back in or still out. Not rolled back (a restore could lose what they wrote since): reopen it by hand, or undo the upgrade with rollback --run`;
  const why = hook.outcome.stays === 'nothing' ? '' : ' (a restore could lose what they wrote since)';
  return `${message}; the tenant is upgraded and its post-upgrade backup verified. Not rolled back${why}: reopen it by hand, or undo the upgrade with rollback --run`;
}

export const unchangedBy = (err: unknown) => (err as { unchanged?: unknown } | null)?.unchanged === true;

export function interruptedOutcome(
  details: UpgradeDetails,
  err: StepInterrupted,
): TaskOutcome<UpgradeDetails> {
  const where =
    details.maintenance === 'closed'
      ? 'stays in maintenance'
      : details.maintenance === 'open'
        ? 'is open to its users again'
        : 'is as the step left it';
  if (err.info.code === 'JOURNAL_FAILED')
    return {
      status: 'skipped',
      details,
      error: {
        code: 'JOURNAL_FAILED',
        message: `${err.step}: ${err.info.message} — the run stopped here, as after a kill: nothing was rolled back and the tenant ${where}; once the journal takes writes, \`upgrade --resume\` finishes it`,
      },
    };
  return {
    status: 'skipped',
    details,
    error: {
      code: 'INTERRUPTED',
      message: `${err.step}: ${err.info.message} — not finished: the tenant ${where}; \`upgrade --resume\` finishes it`,
    },
  };
}

/** The failed tenant's outcome after its rollback; an interrupted rollback is left for the resume. */
export async function withRollback(
  details: UpgradeDetails,
  rollback: () => Promise<ErrorInfo>,
): Promise<TaskOutcome<UpgradeDetails>> {
  try {
    return { details, error: await rollback() };
  } catch (err) {
    if (err instanceof StepInterrupted) return interruptedOutcome(details, err);
    throw err;
  }
}

/** The newest applied migration after a rollback, for the journal (and so the fleet report). */
async function currentVersion(
  ctx: TenantContext,
  history?: HistoryOptions,
): Promise<string | null | undefined> {
  try {
    const session = await ctx.session();
    const where = historyLocation(ctx.tenant, history);
    if (!(await historyExists(session.knex, where))) return null;
    return (await readApplied(session.knex, where)).at(-1)?.name ?? null;
  } catch {
    return undefined; // unknown: the report says so rather than guessing
  }
}

export const ORDER: readonly UpgradeStep[] = UPGRADE_STEPS;

export async function afterFailure(
  ctx: TenantContext,
  ops: UpgradeOperations,
  settings: PipelineSettings,
  details: UpgradeDetails,
  failedStep: UpgradeStep,
  failure: ErrorInfo,
  pre: BackupTaken | undefined,
  step: (name: UpgradeStep, run: () => Promise<StepData | undefined>) => Promise<StepData | undefined>,
): Promise<ErrorInfo> {
  const changed = ORDER.indexOf(failedStep) >= ORDER.indexOf(CHANGES_FROM);
  if (settings.onFailure !== 'rollback' || !changed) return failure;
  try {
    await step('rollback', async () => {
      // A fresh connection: the failure may have been the tenant's connection itself (dropped by the
      // server, a network fault), and a rollback on the dead one would fail and leave it half-upgraded.
      await ctx.releaseSession().catch(() => {});
      if (settings.rollbackWith === 'down') {
        const kept: string[] = [];
        await ops.down(ctx, details.applied, pre?.fingerprint, undefined, (note) => kept.push(note));
        if (kept.length) details.kept = kept;
        return {
          with: 'down',
          reverted: [...details.applied].reverse(),
          current: await currentVersion(ctx, settings.history),
          ...(kept.length ? { kept } : {}),
        };
      }
      if (!pre) throw new TenantError('NO_BACKUP', 'no pre-upgrade backup to restore (backups were skipped)');
      await ops.restore(ctx, pre);
      return { with: 'restore', backup: pre.path, current: await currentVersion(ctx, settings.history) };
    });
    details.rolledBack = true;
    // Only a tenant a beforeTenant hook closed stays in maintenance; without hooks its users were never out.
    const closed = details.maintenance === 'closed' ? '; the tenant stays in maintenance' : '';
    return {
      code: failure.code,
      message: `${failure.message} — rolled back to the pre-upgrade state${closed}`,
    };
  } catch (err) {
    if (err instanceof StepInterrupted) throw err;
    const info = err instanceof StepFailed ? err.info : describeFailure(err, ctx.adapter);
    details.rolledBack = false;
    const closed = details.maintenance === 'closed' ? ' and stays in maintenance' : '';
    // A mismatch comes after every down ran: not half-upgraded, but not as before either — its message
    // says what differs; the restore command brings back exactly the pre-upgrade state. A restore's
    // mismatch comes after the backup replaced the tenant's data: its message says so, and what to check
    // (restoring the same backup again is no remedy).
    const state =
      info.code === 'ROLLBACK_MISMATCH'
        ? `its migrations were reverted${closed}`
        : info.code === 'RESTORE_MISMATCH'
          ? `it is not half-upgraded${closed}`
          : `the tenant is half-upgraded${closed}`;
    const remedy =
      info.code === 'RESTORE_MISMATCH'
        ? ''
        : pre
          ? `; restore the pre-upgrade backup: ${restoreCommand(ctx.tenant.id, pre.path)}`
          : '; restore it by hand (no pre-upgrade backup was taken)';
    details.needsAttention = `ROLLBACK FAILED: ${info.message} — ${state}${remedy}`;
    return { code: 'ROLLBACK_FAILED', message: `${failure.message}; then ${details.needsAttention}` };
  }
}
