import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import type { Journal } from '../journal/journal.js';
import { withJournaledSteps } from './journaled-steps.js';
import { upgradeTenant } from './pipeline.js';
import { prepareUpgrade, type UpgradeSetup } from './prepare.js';
import { previousSteps } from './previous-steps.js';
import type { OnFailure, PipelineSettings, RollbackWith, UpgradeDetails } from './types.js';

/** The run's flags an upgrade job carries to its worker (plain values; see src/queue/job.ts). */
export interface UpgradeJobFlags {
  onFailure?: OnFailure;
  rollbackWith?: RollbackWith;
  deepVerify?: boolean;
  skipBackup?: boolean;
}

/**
 * The per-tenant upgrade task of a queue worker for run `runId`: the pipeline of a local run, built from
 * the worker's own config (migrations, optimizations, hooks, checks, backup folder), its steps journaled
 * into the run's journal on the control database as they finish. Before it starts, it reads the tenant's
 * steps an earlier attempt journaled (a worker that died, or `upgrade --resume`) and goes on after them,
 * exactly as a resumed local run does.
 */
export async function queuedUpgradeTask(
  setup: UpgradeSetup,
  journal: Journal,
  runId: string,
  flags: UpgradeJobFlags,
): Promise<(ctx: TenantContext) => Promise<TaskOutcome<UpgradeDetails>>> {
  const prepared = await prepareUpgrade(setup);
  const journaled = withJournaledSteps<TaskOutcome<UpgradeDetails>>(journal, runId);
  const settings: PipelineSettings = {
    runId,
    hooks: prepared.hooks ?? {},
    checks: prepared.checks ?? [],
    onFailure: flags.onFailure ?? 'rollback',
    rollbackWith: flags.rollbackWith ?? 'restore',
    deepVerify: flags.deepVerify ?? false,
    skipBackup: flags.skipBackup ?? false,
    checkpoint: () => journal.flush(),
    history: setup.history,
  };
  return async (ctx) => {
    const previous = await journal.read((knex) => previousSteps(knex, runId, ctx.tenant.id));
    return journaled(ctx, (c) =>
      upgradeTenant(c, prepared.operations, settings, previous.get(ctx.tenant.id)),
    );
  };
}
