import { type ErrorInfo, TenantError } from '../core/errors.js';
import { describeFailure } from '../fleet/describe-failure.js';
import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import { stoppedAtOnce } from '../fleet/stop-at-once.js';
import type { HookDefinition } from './checks.js';
import { HookFailed, type HookName } from './hook-failure.js';
import { JournalFailed } from './journal-stop.js';
import {
  afterFailure,
  hookStepMessage,
  interruptedOutcome,
  ORDER,
  StepFailed,
  StepInterrupted,
  unchangedBy,
  withRollback,
} from './pipeline-failure.js';
import { runChecks, runHook } from './run-hooks.js';
import {
  type BackupTaken,
  backupTakenOf,
  type PipelineSettings,
  type StepData,
  type StepRecord,
  type UpgradeDetails,
  type UpgradeOperations,
  type UpgradeStep,
} from './types.js';
import { withBoundedUserCode } from './user-code-bound.js';

/**
 * One tenant's runbook: before-tenant hook → backup → verify → migrate → optimize → smoke checks →
 * backup → verify → after-tenant hook. Any failure stops the tenant; after-tenant (reopening it to its
 * users) runs only when everything before it passed. `previous` holds the steps a killed run already
 * finished (`--resume`): those are not run again, their data (the pre-upgrade backup) is reused.
 */
export async function upgradeTenant(
  ctx: TenantContext,
  ops: UpgradeOperations,
  settings: PipelineSettings,
  previous: ReadonlyMap<string, StepRecord> = new Map(),
): Promise<TaskOutcome<UpgradeDetails>> {
  const details: UpgradeDetails = { steps: [], applied: [], backups: {}, maintenance: 'untouched' };
  const hookContext = {
    tenant: {
      id: ctx.tenant.id,
      dialect: ctx.tenant.dialect,
      schema: ctx.tenant.schema,
      tags: ctx.tenant.tags,
      database: ctx.tenant.database,
    },
    runId: settings.runId,
  };
  let pre = backupTakenOf(previous.get('backup-pre')?.data);
  const appliedBefore = (previous.get('migrate')?.data?.applied as string[] | undefined) ?? [];
  // A migrate step the killed run left unfinished may have committed a migration the journal never
  // recorded (one is journaled after its commit): `appliedBefore` is then not all the run changed.
  const migrateLeftUnfinished = previous.has('migrate') && previous.get('migrate')?.status !== 'succeeded';
  details.applied.push(...appliedBefore);
  if (pre) details.backups.pre = pre.path;
  if (previous.get('before-tenant')?.status === 'succeeded') details.maintenance = 'closed';

  const step = async (
    name: UpgradeStep,
    run: () => Promise<StepData | undefined>,
  ): Promise<StepData | undefined> => {
    const done = previous.get(name);
    if (done?.status === 'succeeded') {
      details.steps.push({ step: name, status: 'succeeded', durationMs: 0 });
      return done.data;
    }
    const t0 = Date.now();
    ctx.emit({ type: 'step:start', tenantId: ctx.tenant.id, step: name, at: t0 });
    /** Reported, journaled, and checkpointed (the checkpoint outside the step's try: see `checkpoint`). */
    const finish = async (status: 'succeeded' | 'failed', more: { error?: ErrorInfo; data?: StepData }) => {
      const durationMs = Date.now() - t0;
      details.steps.push({ step: name, status, durationMs });
      ctx.emit({ type: 'step:done', tenantId: ctx.tenant.id, step: name, status, durationMs, ...more });
      await checkpoint(name);
    };
    let data: StepData | undefined;
    try {
      data = await run();
    } catch (err) {
      const info = err instanceof StepFailed ? err.info : describeFailure(err, ctx.adapter);
      // A runner stopped at once closed the session under the step: whatever it failed with, the step
      // is unfinished, not failed (another runner resumes it).
      if ((ctx.signal.aborted && info.code === 'INTERRUPTED') || stoppedAtOnce(ctx.signal))
        throw new StepInterrupted(name, info);
      await finish('failed', { error: info, data: { applied: details.applied } });
      throw new StepFailed(name, info, err instanceof StepFailed ? err.unchanged : unchangedBy(err));
    }
    await finish('succeeded', data ? { data } : {});
    return data;
  };
  /**
   * The journal's checkpoint after a step, outside the step's own try: a journal that cannot record it
   * is no failure of the step or the tenant, and must roll nothing back. The tenant stops there, its
   * step unrecorded, as after a kill (journal-stop.ts).
   */
  const checkpoint = async (name: UpgradeStep): Promise<void> => {
    try {
      await settings.checkpoint();
    } catch (err) {
      // The checkpoint is the journal's flush (a queue worker's raw, the upgrade's own journal-stop.ts).
      throw new StepInterrupted(name, (err instanceof JournalFailed ? err : new JournalFailed(err)).info);
    }
  };
  /** `justTaken`: written by this process now, not a backup the journal recorded for a killed run. */
  const backupStep = async (label: 'pre' | 'post'): Promise<{ backup: BackupTaken; justTaken: boolean }> => {
    let taken: BackupTaken | undefined;
    const data = await step(`backup-${label}`, async () => {
      taken = await ops.backup(ctx, label, settings.runId);
      return { ...taken };
    });
    // A step the killed run finished is not run again: its backup is the one the journal recorded.
    const backup = taken ?? backupTakenOf(data);
    if (!backup)
      throw new StepFailed(`backup-${label}`, {
        code: 'NO_BACKUP',
        message: `the journal's record of the ${label}-upgrade backup is unreadable`,
      });
    return { backup, justTaken: taken !== undefined };
  };

  /** The hook that failed, for what its step's failure says stays of it. */
  let hookFailure: HookFailed | undefined;
  const hookStep = async (
    name: 'before-tenant' | 'after-tenant',
    hook: HookName,
    definition: HookDefinition,
  ): Promise<void> => {
    const after = name === 'before-tenant' ? 'closed' : 'open';
    await step(name, async () => {
      await withBoundedUserCode(ctx, (s, bound) =>
        runHook(definition, hook, s, ctx.adapter, hookContext, bound),
      ).catch((err: unknown) => {
        if (err instanceof HookFailed) hookFailure = err;
        throw err;
      });
      // Before the checkpoint: a tenant stopped there (journal-stop.ts) is reported as the hook left it.
      details.maintenance = after;
      return undefined;
    });
    details.maintenance = after;
  };

  // A step of this tenant already failed in the killed run (it was rolling back, or was about to be
  // reported): finish what follows that failure — the rollback — and never try the upgrade again.
  const failedBefore = ORDER.find((name) => previous.get(name)?.status === 'failed');
  if (failedBefore) {
    for (const name of ORDER.slice(0, ORDER.indexOf(failedBefore)))
      if (previous.get(name)?.status === 'succeeded')
        details.steps.push({ step: name, status: 'succeeded', durationMs: 0 });
    details.steps.push({ step: failedBefore, status: 'failed', durationMs: 0 });
    const info = previous.get(failedBefore)?.error;
    const failure = {
      code: info?.code ?? 'FAILED',
      message: `${failedBefore}: ${info?.message ?? 'failed in the interrupted run'}`,
    };
    return withRollback(details, () =>
      afterFailure(ctx, ops, settings, details, failedBefore, failure, pre, step),
    );
  }

  // Another runner holds the tenant (or a killed run's server session still does): skipped before it is
  // closed or backed up, rather than failed — and restored under the other runner — at the migrate step.
  if (previous.size === 0 && ops.probeLock) {
    try {
      await ops.probeLock(ctx);
    } catch (err) {
      const info = describeFailure(err, ctx.adapter);
      const skipped = err instanceof TenantError && err.skipped;
      return { ...(skipped ? { status: 'skipped' as const } : {}), details, error: info };
    }
  }

  try {
    if (settings.hooks.beforeTenant) {
      await hookStep('before-tenant', 'beforeTenant', settings.hooks.beforeTenant);
    }
    if (!settings.skipBackup) {
      const taken = await backupStep('pre');
      pre = taken.backup;
      details.backups.pre = pre.path;
      await step('verify-pre', async () =>
        ops.verify(ctx, taken.backup, settings.deepVerify, taken.justTaken),
      );
    }
    await step('migrate', async () => {
      // What the killed run committed but never journaled: found in the tenant's history after what
      // it held at the pre-upgrade backup, and journaled now — the report, `rollback --run --with down`
      // and the batch the rest joins then know it.
      if (migrateLeftUnfinished && pre?.historyRows !== undefined && ops.appliedSince) {
        for (const name of await ops.appliedSince(ctx, pre.historyRows))
          if (!details.applied.includes(name)) {
            details.applied.push(name);
            ctx.emit({
              type: 'migration:applied',
              tenantId: ctx.tenant.id,
              name,
              direction: 'up',
              durationMs: 0,
            });
          }
      }
      const result = await ops.migrate(ctx, [...details.applied]);
      details.applied.push(...result.applied);
      if (result.error) throw new StepFailed('migrate', result.error, result.unchanged === true);
      return { applied: details.applied, current: result.current };
    });
    await step('optimize', async () => {
      const result = await ops.optimize(ctx);
      details.optimizations = result.optimizations;
      if (result.error) throw new StepFailed('optimize', result.error);
      return { optimizations: result.optimizations };
    });
    await step('checks', async () => ({
      passed: settings.checks.length
        ? await withBoundedUserCode(ctx, (s, bound) =>
            runChecks(settings.checks, s, ctx.adapter, hookContext, bound),
          )
        : [],
    }));
    if (!settings.skipBackup) {
      const post = await backupStep('post');
      details.backups.post = post.backup.path;
      await step('verify-post', async () => ops.verify(ctx, post.backup, false, post.justTaken));
    }
    if (settings.hooks.afterTenant) {
      await hookStep('after-tenant', 'afterTenant', settings.hooks.afterTenant);
    }
    return { details };
  } catch (err) {
    if (err instanceof StepInterrupted) return interruptedOutcome(details, err);
    if (!(err instanceof StepFailed)) throw err;
    const failure = { code: err.info.code, message: `${err.step}: ${err.info.message}` };
    // Before it nothing ran, nothing is rolled back; after it the tenant is upgraded and verified, and is not
    // rolled back either: the message says what the hook left (hookStepMessage).
    if (err.step === 'before-tenant' || err.step === 'after-tenant')
      return {
        details,
        error: { code: failure.code, message: hookStepMessage(err.step, failure.message, hookFailure) },
      };
    // Nothing of this run reached the tenant (a resumed run's earlier migrations would have): no rollback.
    // Another runner took its lock after the probe: skipped, like a tenant found held at the start — left
    // for `--resume`, which tries it again (the other runner may well have reopened it meanwhile).
    if (err.unchanged && details.applied.length === 0 && err.info.code === 'LOCKED') {
      return {
        status: 'skipped',
        details,
        error: {
          code: 'LOCKED',
          message: `${failure.message} — another runner took the tenant after this run had checked it: nothing was migrated or restored; upgrade --resume tries it again`,
        },
      };
    }
    if (err.unchanged && details.applied.length === 0 && !migrateLeftUnfinished) {
      return {
        details,
        error: {
          code: failure.code,
          message: `${failure.message} — no migration was applied, so nothing was restored${details.maintenance === 'closed' ? '; the tenant stays in maintenance' : ''}`,
        },
      };
    }
    return withRollback(details, () =>
      afterFailure(ctx, ops, settings, details, err.step, failure, pre, step),
    );
  }
}
