import { withTenantLock } from '../dialect/tenant-lock.js';
import { assertSameSet } from '../fleet/definition-set.js';
import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import type { Journal } from '../journal/journal.js';
import { withJournaledSteps } from './journaled-steps.js';
import { upgradeTenant } from './pipeline.js';
import { prepareUpgrade, type UpgradeSetup } from './prepare.js';
import { previousSteps } from './previous-steps.js';
import type { OnFailure, PipelineSettings, RollbackWith, UpgradeDetails } from './types.js';

/**
 * How long the attempt that takes over a tenant an earlier attempt started waits for the tenant's lock.
 * That attempt's worker may still hold it for a moment: one that lost its control connection closes its
 * sessions as it stops, and the server ends a backend mid-statement within its check interval (2 s; a
 * vanished machine's, by its TCP keepalives, ~25 s). Without the wait, the migrate step would fail LOCKED
 * and roll back a tenant that was only changing hands.
 */
export const HANDOVER_LOCK_WAIT_MS = 30_000;

/** The run's flags an upgrade job carries to its worker (plain values; see src/queue/job.ts). */
export interface UpgradeJobFlags {
  onFailure?: OnFailure;
  rollbackWith?: RollbackWith;
  deepVerify?: boolean;
  skipBackup?: boolean;
  /** The coordinator's migrations and optimizations (setDigest): a worker whose own differ refuses the job. */
  migrationSet?: unknown;
  optimizationSet?: unknown;
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
  const ours = prepared.operations.definitions;
  if (ours) {
    assertSameSet('migrations', flags.migrationSet, ours.migrations);
    assertSameSet('optimizations', flags.optimizationSet, ours.optimizations);
  }
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
    if (previous.get(ctx.tenant.id)?.size) {
      // Taken and let go at once: the pipeline takes it again where its steps need it. Still held after
      // the wait, the tenant is skipped LOCKED, untouched (nothing journaled).
      const waitMs = Math.max(HANDOVER_LOCK_WAIT_MS, setup.lockWaitMs ?? 0);
      await withTenantLock(await ctx.session(), { waitMs, signal: ctx.signal }, async () => {});
    }
    return journaled(ctx, (c) =>
      upgradeTenant(c, prepared.operations, settings, previous.get(ctx.tenant.id)),
    );
  };
}
