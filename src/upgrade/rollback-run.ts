import { TenantError, UsageError } from '../core/errors.js';
import { withRedaction } from '../core/redact.js';
import type { Tenant } from '../core/tenant.js';
import { describeFailure } from '../fleet/describe-failure.js';
import { type FleetOptions, fanOutOf } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import { createFleetRun } from '../fleet/run-fleet.js';
import { type Journal, newRunId } from '../journal/journal.js';
import { findRun, runMigrations, runSteps, runTenants } from '../journal/read.js';
import { type JournalTarget, withOpenJournal } from '../journal/use.js';
import type { HookDefinition } from './checks.js';
import { runHook } from './run-hooks.js';
import { backupTakenOf, type RollbackWith, type UpgradeOperations } from './types.js';

export interface RollbackRunOptions extends FleetOptions {
  operations: UpgradeOperations;
  journal: JournalTarget;
  /** The upgrade run to roll back (`true`: the latest). */
  run: string | true;
  with?: RollbackWith;
  /** Run the afterTenant hook once a tenant is rolled back (its pre-upgrade backup was taken in maintenance). */
  reopen?: boolean;
  hooks?: { afterTenant?: HookDefinition };
}

export type RunRollbackDetails = {
  with: RollbackWith;
  upgradeRun: string;
  applied: string[];
  backup?: string;
  maintenance: 'open' | 'closed';
};

/**
 * `dbfleet rollback --run <id>`: rolls back every tenant that upgrade run changed — restoring the run's
 * pre-upgrade backup (or running its migrations' down) — wave by wave, last wave first. Tenants the run
 * never changed, or already rolled back itself, are left alone.
 */
export function rollbackRun(options: RollbackRunOptions): Promise<FleetReport<RunRollbackDetails>> {
  // One redaction scope for the whole run, the journal's password included (see core/redact.ts).
  return withRedaction(() =>
    withOpenJournal(options.journal, (journal) => rollbackInScope(options, journal)),
  );
}

async function rollbackInScope(
  options: RollbackRunOptions,
  journal: Journal,
): Promise<FleetReport<RunRollbackDetails>> {
  const run = await findRun(journal.knex, options.run === true ? undefined : options.run, 'upgrade');
  if (!run)
    throw new UsageError(
      options.run === true ? 'no upgrade run in the journal' : `no upgrade run ${options.run} in the journal`,
    );
  const rows = await runTenants(journal.knex, run.runId);
  const steps = await runSteps(journal.knex, run.runId);
  const applied = await runMigrations(journal.knex, run.runId);
  const byId = new Map(options.tenants.map((t) => [t.id, t]));
  const how = options.with ?? 'restore';
  const targets = rows.filter((r) => {
    const changed =
      (applied.get(r.tenantId)?.length ?? 0) > 0 ||
      steps.some((s) => s.tenantId === r.tenantId && s.step === 'optimize');
    return changed && r.details?.rolledBack !== true;
  });
  const unknown = targets.filter((r) => !byId.has(r.tenantId)).map((r) => r.tenantId);
  if (unknown.length)
    throw new UsageError(`tenants of run ${run.runId} missing from the inventory: ${unknown.join(', ')}`);
  const preBackup = (tenantId: string) =>
    backupTakenOf(
      steps
        .filter((s) => s.tenantId === tenantId && s.step === 'backup-pre' && s.status === 'succeeded')
        .at(-1)?.data,
    );

  const runId = newRunId();
  const waves = [...new Set(targets.map((r) => r.wave))].sort((a, b) => b - a);
  journal.planRun(
    runId,
    'rollback',
    { run: run.runId, with: how },
    targets.map((r) => ({ id: r.tenantId, host: byId.get(r.tenantId)!.host, wave: r.wave })),
  );
  const fleet = createFleetRun<RunRollbackDetails>({
    ...fanOutOf(options),
    onEvent: (e) => {
      journal.onEvent(e);
      options.onEvent?.(e);
    },
    command: 'rollback',
    runId,
    tenants: targets.map((r) => byId.get(r.tenantId)!),
    emptyDetails: () => ({ with: how, upgradeRun: run.runId, applied: [], maintenance: 'closed' }),
  });
  for (const wave of waves) {
    const tenants: Tenant[] = targets.filter((r) => r.wave === wave).map((r) => byId.get(r.tenantId)!);
    fleet.emit({
      type: 'wave:start',
      wave,
      label: `rollback of wave ${wave}`,
      tenantIds: tenants.map((t) => t.id),
    });
    const results = await fleet.batch<RunRollbackDetails>(tenants, async (ctx) => {
      const names = applied.get(ctx.tenant.id) ?? [];
      const backup = preBackup(ctx.tenant.id);
      const details: RunRollbackDetails = {
        with: how,
        upgradeRun: run.runId,
        applied: [...names].reverse(),
        maintenance: 'closed',
        ...(backup ? { backup: backup.path } : {}),
      };
      const t0 = Date.now();
      ctx.emit({ type: 'step:start', tenantId: ctx.tenant.id, step: 'rollback', at: t0 });
      try {
        if (how === 'restore') {
          if (!backup)
            throw new TenantError(
              'NO_BACKUP',
              `run ${run.runId} has no pre-upgrade backup of ${ctx.tenant.id}`,
            );
          await options.operations.restore(ctx, backup);
        } else {
          await options.operations.down(ctx, names, backup?.fingerprint);
        }
        if (options.reopen && options.hooks?.afterTenant) {
          // The same context the upgrade's hooks get: never the tenant's connection (its password).
          const { id, dialect, schema, tags, database } = ctx.tenant;
          await runHook(options.hooks.afterTenant, await ctx.session(), {
            tenant: { id, dialect, schema, tags, database },
            runId,
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
    });
    const failed = results.filter((r) => r.status === 'failed').length;
    fleet.emit({
      type: 'wave:done',
      wave,
      passed: failed === 0,
      ...(failed ? { reason: `${failed} tenant(s) failed to roll back` } : {}),
    });
  }
  const report = fleet.end();
  await journal.flush();
  return report;
}
