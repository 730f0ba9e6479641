import { assertSameSet } from '../fleet/definition-set.js';
import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import type { Journal } from '../journal/journal.js';
import { findRun, laterUpgrades, runMigrations, runSteps } from '../journal/read.js';
import { rolledBackEarlier } from '../journal/rollbacks.js';
import { withJournaledSteps } from './journaled-steps.js';
import { prepareUpgrade, type UpgradeSetup } from './prepare.js';
import { changedTenant, migrateLeftUnfinished } from './rollback-targets.js';
import { preUpgradeBackup, type RunRollbackDetails, rollbackTenant } from './rollback-tenant.js';

/**
 * The per-tenant task of a queue worker for rollback run `runId` (`rollback --run … --queue`): what to
 * roll back comes from the journal on the control database — the rollback run's journaled options name
 * the upgrade run, its way back and `--reopen`; the upgrade run's steps name each tenant's pre-upgrade
 * backup and applied migrations. Restores and downs run from the worker's own config and backup folder.
 */
export async function queuedRollbackTask(
  setup: UpgradeSetup,
  journal: Journal,
  runId: string,
): Promise<(ctx: TenantContext) => Promise<TaskOutcome<RunRollbackDetails>>> {
  const run = await journal.read((knex) => findRun(knex, runId));
  const upgradeRun = run?.command === 'rollback' ? run.options?.run : undefined;
  if (typeof upgradeRun !== 'string') throw new Error(`the journal has no rollback run ${runId}`);
  const how = run?.options?.with === 'down' ? 'down' : 'restore';
  const prepared = await prepareUpgrade(setup);
  // Downs come from the worker's own migrations folder: one that differs from the coordinator's would
  // run other downs than the ones planned (a restore needs no migration files).
  const ours = prepared.operations.definitions;
  if (how === 'down' && ours) assertSameSet('migrations', run?.options?.migrationSet, ours.migrations);
  const journaled = withJournaledSteps<TaskOutcome<RunRollbackDetails>>(journal, runId);
  const settings = {
    operations: prepared.operations,
    with: how,
    upgradeRun,
    runId,
    reopen: run?.options?.reopen === true,
    hooks: prepared.hooks ?? {},
  } as const;
  // Read once for the job: later upgrade runs do not change while this rollback runs.
  const later = await journal.read((knex) => laterUpgrades(knex, upgradeRun));
  return async (ctx) => {
    const [steps, applied, earlier] = await journal.read(
      async (knex) =>
        [
          await runSteps(knex, upgradeRun, ctx.tenant.id),
          await runMigrations(knex, upgradeRun, ctx.tenant.id),
          await rolledBackEarlier(knex, upgradeRun, { tenantId: ctx.tenant.id, except: runId }),
        ] as const,
    );
    return journaled(ctx, (c) =>
      rollbackTenant(c, settings, {
        applied: applied.get(ctx.tenant.id) ?? [],
        backup: preUpgradeBackup(steps, ctx.tenant.id),
        // The coordinator sent this tenant: if the run changed nothing in it, it was only closed.
        unchanged: !changedTenant(steps, applied.get(ctx.tenant.id) ?? []),
        migrateUnfinished: migrateLeftUnfinished(steps),
        rolledBackBy: earlier.get(ctx.tenant.id),
        supersededBy: later.get(ctx.tenant.id),
      }),
    );
  };
}
