import { TenantError } from '../core/errors.js';
import { describeFailure } from '../fleet/describe-failure.js';
import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import type { StepRow } from '../journal/read.js';
import type { HookDefinition } from './checks.js';
import { runHook } from './run-hooks.js';
import { type BackupTaken, backupTakenOf, type RollbackWith, type UpgradeOperations } from './types.js';

export type RunRollbackDetails = {
  with: RollbackWith;
  upgradeRun: string;
  applied: string[];
  backup?: string;
  maintenance: 'open' | 'closed';
};

export interface RollbackTenantSettings {
  operations: UpgradeOperations;
  with: RollbackWith;
  /** The upgrade run rolled back. */
  upgradeRun: string;
  /** The rollback's own run id (the hooks see it). */
  runId: string;
  reopen?: boolean;
  hooks?: { afterTenant?: HookDefinition };
}

/** What the upgrade run's journal says about one tenant: what it applied, and its pre-upgrade backup. */
export interface UpgradeRecord {
  applied: readonly string[];
  backup?: BackupTaken;
}

/** The pre-upgrade backup a run's journaled steps name for a tenant (its last successful one). */
export function preUpgradeBackup(steps: readonly StepRow[], tenantId: string): BackupTaken | undefined {
  return backupTakenOf(
    steps.filter((s) => s.tenantId === tenantId && s.step === 'backup-pre' && s.status === 'succeeded').at(-1)
      ?.data,
  );
}

/**
 * Rolls one tenant of an upgrade run back: restores its pre-upgrade backup, or runs the down of what
 * the run applied, newest first; then, with `reopen`, runs the afterTenant hook. Run by `rollback --run`
 * here, or by a queue worker.
 */
export async function rollbackTenant(
  ctx: TenantContext,
  settings: RollbackTenantSettings,
  record: UpgradeRecord,
): Promise<TaskOutcome<RunRollbackDetails>> {
  const { backup } = record;
  const details: RunRollbackDetails = {
    with: settings.with,
    upgradeRun: settings.upgradeRun,
    applied: [...record.applied].reverse(),
    maintenance: 'closed',
    ...(backup ? { backup: backup.path } : {}),
  };
  const t0 = Date.now();
  ctx.emit({ type: 'step:start', tenantId: ctx.tenant.id, step: 'rollback', at: t0 });
  try {
    if (settings.with === 'restore') {
      if (!backup)
        throw new TenantError(
          'NO_BACKUP',
          `run ${settings.upgradeRun} has no pre-upgrade backup of ${ctx.tenant.id}`,
        );
      await settings.operations.restore(ctx, backup);
    } else {
      await settings.operations.down(ctx, [...record.applied], backup?.fingerprint);
    }
    if (settings.reopen && settings.hooks?.afterTenant) {
      // The same context the upgrade's hooks get: never the tenant's connection (its password).
      const { id, dialect, schema, tags, database } = ctx.tenant;
      await runHook(settings.hooks.afterTenant, await ctx.session(), {
        tenant: { id, dialect, schema, tags, database },
        runId: settings.runId,
      });
      details.maintenance = 'open';
    }
    ctx.emit({
      type: 'step:done',
      tenantId: ctx.tenant.id,
      step: 'rollback',
      status: 'succeeded',
      durationMs: Date.now() - t0,
    });
    return { details };
  } catch (err) {
    const error = describeFailure(err, ctx.adapter);
    ctx.emit({
      type: 'step:done',
      tenantId: ctx.tenant.id,
      step: 'rollback',
      status: 'failed',
      durationMs: Date.now() - t0,
      error,
    });
    return { details, error };
  }
}
