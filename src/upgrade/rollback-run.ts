import { type ErrorInfo, UsageError } from '../core/errors.js';
import { withRedaction } from '../core/redact.js';
import type { Tenant } from '../core/tenant.js';
import { checkChoice } from '../fleet/check-options.js';
import { setDigest } from '../fleet/definition-set.js';
import { withJournalError } from '../fleet/journal-error.js';
import { type FleetOptions, fanOutOf } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import { createFleetRun } from '../fleet/run-fleet.js';
import { checkVerbOptions, HOOKS, JOURNAL, OPERATIONS, UPGRADE_RUN } from '../fleet/verb-options.js';
import { type Journal, newRunId } from '../journal/journal.js';
import { findRun, laterUpgrades, runMigrations, runSteps, runTenants } from '../journal/read.js';
import { rolledBackEarlier } from '../journal/rollbacks.js';
import { type JournalTarget, withOpenJournal } from '../journal/use.js';
import type { HookDefinition } from './checks.js';
import { unusableBackup } from './rollback-backup.js';
import { listIds, selectRunTargets } from './rollback-selection.js';
import { migrateLeftUnfinished, rollbackTargetOf } from './rollback-targets.js';
import {
  preUpgradeBackup,
  type RollbackTenantSettings,
  type RunRollbackDetails,
  rollbackTenant,
} from './rollback-tenant.js';
import type { RollbackWith, UpgradeOperations } from './types.js';

export interface RollbackRunOptions extends FleetOptions {
  operations: UpgradeOperations;
  journal: JournalTarget;
  /**
   * The whole inventory `tenants` were selected from (`--tenant/--tag/--exclude`): the run's tenants in
   * it but not in `tenants` are left out (`RollbackPlan.leftOut`); one missing from it is a UsageError.
   * Default `tenants`: every tenant of the run must be among them.
   */
  inventory?: readonly Tenant[];
  /** The upgrade run to roll back (`true`: the latest). */
  run: string | true;
  with?: RollbackWith;
  /** Run the afterTenant hook once a tenant is rolled back (its pre-upgrade backup was taken in maintenance). */
  reopen?: boolean;
  /** beforeTenant closes each tenant before it is rolled back; afterTenant reopens it with `reopen`. */
  hooks?: { beforeTenant?: HookDefinition; afterTenant?: HookDefinition };
  /**
   * Called once the run is found and its tenants are known, before anything is journaled or touched; a
   * throw stops the rollback there. The CLI asks for `--yes` here, so an unknown run is reported as such.
   */
  confirm?: (plan: RollbackPlan) => void | Promise<void>;
}

/** What a rollback of an upgrade run is about to do, for `confirm`. */
export interface RollbackPlan {
  upgradeRun: string;
  with: RollbackWith;
  /** The tenants it would roll back (or only reopen, for those the run closed but never changed). */
  tenants: string[];
  /** Tenants of the run the selection left out: not rolled back now. */
  leftOut: string[];
  /**
   * With `restore`: tenants among `tenants` whose pre-upgrade backup is gone or unusable — they fail
   * with this error, untouched (not closed). Not checked for a queued rollback (the workers' folders).
   */
  cannotRestore: { tenantId: string; error: ErrorInfo }[];
}

export type { RunRollbackDetails };

/**
 * `dbfleet rollback --run <id>`: rolls back every tenant that upgrade run changed — restoring the run's
 * pre-upgrade backup (or running its migrations' down) — wave by wave, last wave first. A tenant a killed
 * (or interrupted) run closed but never changed gets its hooks only (see rollback-targets.ts). Tenants the
 * run never touched, or already rolled back itself, are left alone; ones an earlier rollback of the run rolled
 * back are reported succeeded with nothing done (`alreadyRolledBack`: that rollback's run id).
 */
export async function rollbackRun(options: RollbackRunOptions): Promise<FleetReport<RunRollbackDetails>> {
  checkVerbOptions(
    'rollbackRun',
    options,
    { operations: OPERATIONS, journal: JOURNAL, run: UPGRADE_RUN },
    true,
    { hooks: HOOKS },
  );
  checkChoice('with', options.with, ['restore', 'down']);
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
  const rolledBackBy = await rolledBackEarlier(journal.knex, run.runId);
  const supersededBy = await laterUpgrades(journal.knex, run.runId);
  const how = options.with ?? 'restore';
  const targetOf = new Map(
    rows.map((r) => [
      r.tenantId,
      rollbackTargetOf(
        r,
        steps.filter((s) => s.tenantId === r.tenantId),
        applied.get(r.tenantId) ?? [],
      ),
    ]),
  );
  const { chosen, leftOut } = selectRunTargets(
    run.runId,
    rows.filter((r) => targetOf.get(r.tenantId) !== undefined).map((r) => r.tenantId),
    options.tenants,
    options.inventory ?? options.tenants,
  );
  const byId = new Map(chosen.map((t) => [t.id, t]));
  const targets = rows.filter((r) => byId.has(r.tenantId));
  const backupOf = (id: string) => preUpgradeBackup(steps, id);
  // Before the question: it says which tenants cannot be restored. Each is checked again when its turn
  // comes (rollback-tenant.ts); a queue worker reads its own backup folder, so not from here.
  const cannotRestore: RollbackPlan['cannotRestore'] = [];
  if (how === 'restore' && !options.remote)
    for (const r of targets) {
      const id = r.tenantId;
      if (targetOf.get(id) !== 'changed' || rolledBackBy.has(id) || supersededBy.has(id)) continue;
      const error = await unusableBackup(options.operations, run.runId, id, backupOf(id));
      if (error) cannotRestore.push({ tenantId: id, error });
    }
  await options.confirm?.({
    upgradeRun: run.runId,
    with: how,
    tenants: targets.map((r) => r.tenantId),
    leftOut,
    cannotRestore,
  });
  const runId = newRunId();
  const waves = [...new Set(targets.map((r) => r.wave))].sort((a, b) => b - a);
  const mark = journal.dropMark;
  journal.planRun(
    runId,
    'rollback',
    // A queue worker reads these back (see queued-rollback.ts). With `down`, the migrations whose downs
    // run: a worker whose own copy differs refuses to run its downs in their place.
    {
      run: run.runId,
      with: how,
      reopen: Boolean(options.reopen),
      ...(how === 'down' && options.operations.definitions
        ? { migrationSet: setDigest(options.operations.definitions.migrations) }
        : {}),
    },
    targets.map((r) => ({ id: r.tenantId, host: byId.get(r.tenantId)!.host, wave: r.wave })),
  );
  const fanOut = fanOutOf(options);
  const fleet = createFleetRun<RunRollbackDetails>({
    ...fanOut,
    onEvent: (e) => {
      journal.onEvent(e);
      fanOut.onEvent?.(e);
    },
    command: 'rollback',
    runId,
    tenants: targets.map((r) => byId.get(r.tenantId)!),
    emptyDetails: () => ({ with: how, upgradeRun: run.runId, applied: [], maintenance: 'untouched' }),
  });
  if (leftOut.length)
    fleet.emit({
      type: 'notice',
      level: 'info',
      message: `rollback of run ${run.runId}: ${leftOut.length} of its ${leftOut.length + targets.length} tenant(s) to roll back left out by the selection (${listIds(leftOut)})`,
    });
  const settings: RollbackTenantSettings = {
    operations: options.operations,
    with: how,
    upgradeRun: run.runId,
    runId,
    ...(options.reopen !== undefined ? { reopen: options.reopen } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  };
  for (const wave of waves) {
    const tenants: Tenant[] = targets.filter((r) => r.wave === wave).map((r) => byId.get(r.tenantId)!);
    fleet.emit({
      type: 'wave:start',
      wave,
      label: `rollback of wave ${wave}`,
      tenantIds: tenants.map((t) => t.id),
    });
    const results = await fleet.batch<RunRollbackDetails>(tenants, (ctx) =>
      rollbackTenant(ctx, settings, {
        applied: applied.get(ctx.tenant.id) ?? [],
        backup: backupOf(ctx.tenant.id),
        unchanged: targetOf.get(ctx.tenant.id) === 'closed',
        migrateUnfinished: migrateLeftUnfinished(steps.filter((s) => s.tenantId === ctx.tenant.id)),
        rolledBackBy: rolledBackBy.get(ctx.tenant.id),
        supersededBy: supersededBy.get(ctx.tenant.id),
      }),
    );
    const failed = results.filter((r) => r.status === 'failed').length;
    fleet.emit({
      type: 'wave:done',
      wave,
      passed: failed === 0,
      ...(failed ? { reason: `${failed} tenant(s) failed to roll back` } : {}),
    });
  }
  const report = fleet.end();
  // The tenants are rolled back whatever the journal did: the report keeps it. A journal that missed
  // it would let a second rollback --run restore them again, over what is written since: said so.
  const lost = (await journal.settle()) ?? journal.droppedSince(mark);
  return lost === undefined
    ? report
    : withJournalError(
        report,
        lost,
        'the tenants are as this report says, but the journal may not know which were rolled back: a second `rollback --run` of this run could restore them again, over what is written since',
      );
}
