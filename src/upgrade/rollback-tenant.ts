import { TenantError } from '../core/errors.js';
import { describeFailure } from '../fleet/describe-failure.js';
import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import { stoppedAtOnce } from '../fleet/stop-at-once.js';
import type { StepRow } from '../journal/read.js';
import { restoreCommand } from './after-downs.js';
import type { HookDefinition } from './checks.js';
import { HookFailed, type HookName } from './hook-failure.js';
import { migrationsToDown } from './migrations-to-down.js';
import { unusableBackup } from './rollback-backup.js';
import { runHook } from './run-hooks.js';
import { type BackupTaken, backupTakenOf, type RollbackWith, type UpgradeOperations } from './types.js';
import { withBoundedUserCode } from './user-code-bound.js';

export type RunRollbackDetails = {
  with: RollbackWith;
  upgradeRun: string;
  applied: string[];
  backup?: string;
  /** An earlier rollback of the same upgrade run rolled this tenant back: nothing was done now. */
  alreadyRolledBack?: string;
  /** The upgrade run closed the tenant and was killed before it changed it: nothing was restored, only
   * its hooks ran (closing it, and with --reopen reopening it). */
  unchanged?: true;
  /** What a rollback by downs left in place that the run's optimizations built (`kept: index …`). */
  kept?: string[];
  /** closed: the beforeTenant hook ran before the rollback; open: --reopen ran afterTenant after it;
   * untouched: no hook ran (none configured, or the tenant failed before it). */
  maintenance: 'open' | 'closed' | 'untouched';
};

export interface RollbackTenantSettings {
  operations: UpgradeOperations;
  with: RollbackWith;
  /** The upgrade run rolled back. */
  upgradeRun: string;
  /** The rollback's own run id (the hooks see it). */
  runId: string;
  reopen?: boolean;
  hooks?: { beforeTenant?: HookDefinition; afterTenant?: HookDefinition };
}

/** What the upgrade run's journal says about one tenant: what it applied, and its pre-upgrade backup. */
export interface UpgradeRecord {
  applied: readonly string[];
  backup?: BackupTaken;
  /** The earlier rollback of this upgrade run that rolled the tenant back (see `rolledBackEarlier`). */
  rolledBackBy?: string;
  /** A later upgrade run that changed the tenant and stands (see `laterUpgrades`): roll that back first. */
  supersededBy?: string;
  /** The run closed the tenant and stopped (killed) before changing it: only the hooks run. */
  unchanged?: boolean;
  /** The run was killed in the tenant's migrate step: `applied` may miss a migration (see migrations-to-down.ts). */
  migrateUnfinished?: boolean;
}

/** The pre-upgrade backup a run's journaled steps name for a tenant (its last successful one). */
export function preUpgradeBackup(steps: readonly StepRow[], tenantId: string): BackupTaken | undefined {
  return backupTakenOf(
    steps.filter((s) => s.tenantId === tenantId && s.step === 'backup-pre' && s.status === 'succeeded').at(-1)
      ?.data,
  );
}

/**
 * Rolls one tenant of an upgrade run back: closes it (the beforeTenant hook), restores its pre-upgrade
 * backup or runs the down of what the run applied, newest first; then, with `reopen`, runs the
 * afterTenant hook. Run by `rollback --run` here, or by a queue worker.
 * The tenant is closed first because an upgrade that succeeded reopened it: its users would otherwise
 * write while the restore replaces their database (and lose what they wrote), or see a half-downed schema.
 */
export async function rollbackTenant(
  ctx: TenantContext,
  settings: RollbackTenantSettings,
  record: UpgradeRecord,
): Promise<TaskOutcome<RunRollbackDetails>> {
  const { backup } = record;
  // `applied` names what was reverted: filled in once it was, so a tenant that failed before (a hook, a
  // refused restore) is not reported with the run's migrations reverted.
  const details: RunRollbackDetails = {
    with: settings.with,
    upgradeRun: settings.upgradeRun,
    applied: [],
    maintenance: 'untouched',
    ...(backup ? { backup: backup.path } : {}),
  };
  if (record.rolledBackBy) {
    // Done already: restoring again would lose what was written since, downs again would undo
    // migrations no longer applied. The tenant is not touched; with `reopen` its afterTenant hook runs
    // (the earlier rollback's may have failed, leaving it closed), and nothing else.
    const done = { ...details, alreadyRolledBack: record.rolledBackBy };
    if (!(settings.reopen && settings.hooks?.afterTenant)) return { details: done };
    return reopenStep(ctx, settings, done, record);
  }
  if (record.supersededBy) {
    // Untouched: a restore would bring back a backup from before that run too, downs run under its schema.
    return {
      details,
      error: {
        code: 'NEWER_UPGRADE_APPLIED',
        message: `upgrade run ${record.supersededBy} changed ${ctx.tenant.id} after run ${settings.upgradeRun}: roll that run back first (rollback --run ${record.supersededBy}); nothing was rolled back`,
      },
    };
  }
  // A backup that is gone fails the tenant before its beforeTenant hook closes it: nothing could be
  // restored, and its users would be shut out for nothing.
  if (settings.with === 'restore' && !record.unchanged) {
    const unusable = await unusableBackup(settings.operations, settings.upgradeRun, ctx.tenant.id, backup);
    if (unusable) return { details, error: unusable };
  }
  const t0 = Date.now();
  ctx.emit({ type: 'step:start', tenantId: ctx.tenant.id, step: 'rollback', at: t0 });
  const hookContext = hookContextOf(ctx, settings);
  try {
    const before = settings.hooks?.beforeTenant;
    // A deleted SQLite file cannot be opened for the hook, and nothing can be using it: the restore
    // recreates it. Failing the rollback instead left the tenant with no database at all.
    const gone = settings.with === 'restore' && settings.operations.databaseGone?.(ctx) === true;
    if (before && gone)
      ctx.emit({
        type: 'notice',
        level: 'warn',
        message: `${ctx.tenant.id}: beforeTenant hook not run — the tenant's database file is gone, so nothing is using it; the restore recreates it`,
      });
    else if (before) {
      await withBoundedUserCode(ctx, (session, bound) =>
        runHook(before, 'beforeTenant', session, ctx.adapter, hookContext, bound),
      );
      details.maintenance = 'closed';
    }
    if (record.unchanged) {
      details.unchanged = true;
    } else if (settings.with === 'restore') {
      // Checked above (unusableBackup): only a type guard here.
      if (!backup) throw new TenantError('NO_BACKUP', `run ${settings.upgradeRun} has no pre-upgrade backup`);
      await settings.operations.restore(ctx, backup);
      details.applied = [...record.applied].reverse();
    } else {
      // What did revert, also when a later down fails: the report must not claim the planned list.
      const done: string[] = [];
      details.applied = done;
      const todo = await migrationsToDown(ctx, settings.operations, record);
      const reverted = await settings.operations.down(
        ctx,
        todo,
        backup?.fingerprint,
        (name) => done.push(name),
        (note) => {
          details.kept = [...(details.kept ?? []), note];
        },
      );
      details.applied = reverted ? [...reverted] : [...todo].reverse();
    }
    ctx.emit({
      type: 'step:done',
      tenantId: ctx.tenant.id,
      step: 'rollback',
      status: 'succeeded',
      durationMs: Date.now() - t0,
    });
  } catch (err) {
    const error = describeFailure(err, ctx.adapter);
    // Every down ran and the tenant still differs: what differs is said; this is how to get back exactly.
    if (error.code === 'ROLLBACK_MISMATCH' && backup)
      error.message = `${error.message}; the downs stay applied. To bring back exactly the pre-upgrade state, restore its backup: ${restoreCommand(ctx.tenant.id, backup.path)}`;
    // A hook's failure says what stays of the hook; this, what the rollback did around it.
    if (err instanceof HookFailed) error.message += aroundTheHook(err.hook, settings.with, record);
    // Its runner stopped at once and closed the session under it: not a failed rollback, one another
    // runner does again (nothing journaled as failed).
    if (stoppedAtOnce(ctx.signal))
      return { status: 'skipped', details, error: { code: 'INTERRUPTED', message: error.message } };
    ctx.emit({
      type: 'step:done',
      tenantId: ctx.tenant.id,
      step: 'rollback',
      status: 'failed',
      durationMs: Date.now() - t0,
      error,
    });
    // The backup was restored but the tenant's fingerprint differs from it: it was put back all the same.
    if (error.code === 'RESTORE_MISMATCH' && settings.with === 'restore')
      details.applied = [...record.applied].reverse();
    // Another runner holds the tenant (LOCKED): nothing was rolled back — skipped, not failed, as a restore
    // reports it; rolling the run back again tries it.
    if (err instanceof TenantError && err.skipped) return { status: 'skipped', details, error };
    return { details, error };
  }
  // The reopen is a step of its own, after the rollback's is journaled done: a failed afterTenant hook
  // fails the tenant, but the journal still knows it was rolled back — a second `rollback --run` must
  // not restore it again, `restore` must not take the undone run's post-upgrade backup for the latest.
  if (!(settings.reopen && settings.hooks?.afterTenant)) return { details };
  return reopenStep(ctx, settings, details, record);
}

/** The same context the upgrade's hooks get: never the tenant's connection (its password). */
function hookContextOf(ctx: TenantContext, settings: RollbackTenantSettings) {
  const { id, dialect, schema, tags, database } = ctx.tenant;
  return { tenant: { id, dialect, schema, tags, database }, runId: settings.runId };
}

/** `reopen`: the afterTenant hook, as the `after-tenant` step. */
async function reopenStep(
  ctx: TenantContext,
  settings: RollbackTenantSettings,
  details: RunRollbackDetails,
  record: UpgradeRecord,
): Promise<TaskOutcome<RunRollbackDetails>> {
  const after = settings.hooks?.afterTenant;
  if (!after) return { details };
  const t0 = Date.now();
  ctx.emit({ type: 'step:start', tenantId: ctx.tenant.id, step: 'after-tenant', at: t0 });
  try {
    await withBoundedUserCode(ctx, (session, bound) =>
      runHook(after, 'afterTenant', session, ctx.adapter, hookContextOf(ctx, settings), bound),
    );
    details.maintenance = 'open';
    ctx.emit({
      type: 'step:done',
      tenantId: ctx.tenant.id,
      step: 'after-tenant',
      status: 'succeeded',
      durationMs: Date.now() - t0,
    });
    return { details };
  } catch (err) {
    const error = describeFailure(err, ctx.adapter);
    if (err instanceof HookFailed)
      error.message += details.alreadyRolledBack
        ? `; the tenant was rolled back already, by run ${details.alreadyRolledBack}`
        : aroundTheHook(err.hook, settings.with, record);
    if (stoppedAtOnce(ctx.signal))
      return { status: 'skipped', details, error: { code: 'INTERRUPTED', message: error.message } };
    ctx.emit({
      type: 'step:done',
      tenantId: ctx.tenant.id,
      step: 'after-tenant',
      status: 'failed',
      durationMs: Date.now() - t0,
      error,
    });
    return { details, error };
  }
}

/** What a rollback did around its failed hook: nothing before beforeTenant; all of it before afterTenant. */
function aroundTheHook(hook: HookName, rolledBackWith: RollbackWith, record: UpgradeRecord): string {
  if (hook === 'beforeTenant') return '; nothing was rolled back';
  if (record.unchanged)
    return '; nothing was rolled back before it (the upgrade run had not changed the tenant)';
  return rolledBackWith === 'restore'
    ? "; the rollback before it succeeded: the tenant's data was replaced by its pre-upgrade backup"
    : "; the rollback before it succeeded: the run's migrations were reverted";
}
