import type { ErrorInfo } from '../core/errors.js';
import type { TenantResult, WaveStopCause } from '../core/events.js';
import { withRedaction } from '../core/redact.js';
import type { Tenant } from '../core/tenant.js';
import { checkChoice } from '../fleet/check-options.js';
import { setDigest } from '../fleet/definition-set.js';
import { withJournalError } from '../fleet/journal-error.js';
import { asObserver } from '../fleet/observer.js';
import { type FleetOptions, fanOutOf } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import { createFleetRun, withTenantArgs } from '../fleet/run-fleet.js';
import { CHECKS, checkVerbOptions, HOOKS, JOURNAL, OPERATIONS } from '../fleet/verb-options.js';
import { newRunId } from '../journal/journal.js';
import { type JournalTarget, withOpenJournal } from '../journal/use.js';
import { checkBackupFolders } from './backup-folders.js';
import type { CheckDefinition, HookDefinition } from './checks.js';
import { journalCheckpoint } from './journal-stop.js';
import { upgradeTenant } from './pipeline.js';
import { type PreflightOptions, type PreflightRecord, preflight } from './preflight.js';
import { loadResume } from './resume-state.js';
import { createThrottle, type ThrottleConfig } from './throttle.js';
import type { OnFailure, RollbackWith, UpgradeDetails, UpgradeOperations } from './types.js';
import { waveOutcome } from './wave-outcome.js';
import { parseBudget, planWaves, type Wave } from './waves.js';

export interface UpgradeOptions extends FleetOptions {
  /** The operations the pipeline runs (see `createUpgradeOperations`). */
  operations: UpgradeOperations;
  /** Required here: the upgrade checkpoints every step in it and resumes from it. */
  journal: JournalTarget;
  hooks?: { beforeTenant?: HookDefinition; afterTenant?: HookDefinition };
  checks?: readonly CheckDefinition[];
  canary?: string;
  waves?: string;
  maxFailures?: string | number;
  onFailure?: OnFailure;
  rollbackWith?: RollbackWith;
  deepVerify?: boolean;
  skipBackup?: boolean;
  throttle?: ThrottleConfig;
  /** Continue this run (or the latest upgrade run with `true`) instead of starting a new one. */
  resume?: string | true;
  /**
   * Lint and drift before the first wave (`prepareUpgrade` fills in the migrations): an unaccepted finding
   * or drift among the first wave's tenants refuses the run before it changes anything. Not on a resume.
   */
  preflight?: PreflightOptions;
}

const emptyDetails = (): UpgradeDetails => ({
  steps: [],
  applied: [],
  backups: {},
  maintenance: 'untouched',
});

/**
 * Kept from starting by the gates, or not tried because its server was down: nothing was attempted.
 * Stopped because the journal failed: the run's trouble, not the tenant's (the run has stopped anyway).
 */
const NOT_ATTEMPTED = new Set(['NOT_STARTED', 'HOST_DOWN', 'JOURNAL_FAILED']);
const countsAsFailure = (r: TenantResult) =>
  r.status === 'failed' || (r.status === 'skipped' && !NOT_ATTEMPTED.has(r.error?.code ?? ''));

/**
 * `dbfleet upgrade`: the whole runbook per tenant, concurrently, in waves. A wave starts only when the
 * previous one passed its gate (the canary wave: no failure at all; later waves: failures within
 * `maxFailures`); once the budget is exceeded no new tenant starts, in-flight tenants finish (and roll
 * back if they fail), and tenants never started are left exactly as they were.
 */
export async function upgrade(options: UpgradeOptions): Promise<FleetReport<UpgradeDetails>> {
  checkVerbOptions('upgrade', options, { operations: OPERATIONS, journal: JOURNAL }, true, {
    hooks: HOOKS,
    checks: CHECKS,
  });
  checkChoice('onFailure', options.onFailure, ['rollback', 'stop', 'continue']);
  checkChoice('rollbackWith', options.rollbackWith, ['restore', 'down']);
  // The gates' own words, checked before the journal is opened (or made): a resume takes the ones its run
  // started with, unless this call names others.
  if (options.maxFailures !== undefined) parseBudget(options.maxFailures, options.tenants.length);
  if (!options.resume) planWaves({ tenants: options.tenants, canary: options.canary, waves: options.waves });
  // One redaction scope for the whole run, the journal's password included (see core/redact.ts).
  return withRedaction(() => upgradeInScope(options));
}

function upgradeInScope(options: UpgradeOptions): Promise<FleetReport<UpgradeDetails>> {
  const observe = asObserver(options.onEvent);
  return withOpenJournal(options.journal, async (journal) => {
    const resume = options.resume ? await loadResume(journal, options.resume, options.tenants) : undefined;
    const runId = resume?.runId ?? newRunId();
    let waves: Wave[];
    if (resume) {
      const byWave = new Map<number, Tenant[]>();
      for (const t of options.tenants) {
        const wave = resume.waveOf.get(t.id);
        if (wave === undefined || resume.finished.has(t.id)) continue;
        byWave.set(wave, [...(byWave.get(wave) ?? []), t]);
      }
      const hadCanary =
        resume.options.canary !== undefined && resume.options.canary !== null && resume.options.canary !== '';
      waves = [...byWave.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([index, tenants]) => ({
          index,
          label: `resumed wave ${index}`,
          tenants,
          canary: hadCanary && index === 1,
        }));
    } else {
      waves = planWaves({ tenants: options.tenants, canary: options.canary, waves: options.waves });
    }
    const all = waves.flatMap((w) => w.tenants);
    // A resumed run keeps the budget it was started with unless this invocation names one.
    const maxFailures = options.maxFailures ?? (resume?.options.maxFailures as string | number | undefined);
    const budget = parseBudget(maxFailures, options.tenants.length);
    // Queued, the workers back up into the folders of their own config; `skipBackup` writes none.
    if (!options.skipBackup && !options.remote) await checkBackupFolders(options.operations, all);
    let checked: PreflightRecord | undefined;
    let unread: ReadonlyMap<string, ErrorInfo> = new Map();
    if (options.preflight && !resume)
      ({ record: checked, unread } = await preflight(
        options,
        waves[0]?.tenants ?? [],
        options.preflight,
        (e) => observe?.(e),
      ));
    else if (options.preflight && resume && resume.notTried.size > 0) {
      // The run's pre-flight could not read these (their server was down): what they would run is linted
      // before they do, as the run's own start would have. Drift among them gates nothing (the first wave,
      // the canary, is behind the run); an --allow-unsafe the run started with still holds.
      const started = resume.options.preflight as { allowUnsafe?: boolean } | undefined;
      ({ unread } = await preflight(
        { ...options, tenants: all.filter((t) => resume.notTried.has(t.id)) },
        [],
        { ...options.preflight, allowUnsafe: Boolean(options.preflight.allowUnsafe || started?.allowUnsafe) },
        (e) => observe?.(e),
      ));
    }
    journal.planRun(
      runId,
      'upgrade',
      {
        canary: options.canary,
        waves: options.waves,
        maxFailures,
        onFailure: options.onFailure ?? 'rollback',
        rollbackWith: options.rollbackWith ?? 'restore',
        ...(checked ? { preflight: checked } : {}),
      },
      waves.flatMap((w) => w.tenants.map((t) => ({ id: t.id, host: t.host, wave: w.index }))),
      Boolean(resume),
    );
    // Failures before a crash still count: a resume must not walk past a gate the run had already hit.
    const failedBefore = resume?.finishedResults.filter((r) => r.status === 'failed') ?? [];
    let failures = failedBefore.length;
    let stopReason: string | undefined;
    let stopCause: WaveStopCause | undefined;
    /** The first stop holds: its reason is what the tenants it keeps from starting carry. */
    const stop = (cause: WaveStopCause, reason: string) => {
      stopCause ??= cause;
      stopReason ??= reason;
    };
    if (resume && failures > budget)
      stop(
        'failure-budget',
        `not started: ${failures} tenant(s) had failed before the resume, more than the failure budget (${budget})`,
      );
    if (resume?.options.canary && failedBefore.some((r) => resume.waveOf.get(r.id) === 1))
      stop('canary', 'not started: the canary wave had failed before the resume');
    const fanOut = fanOutOf(options);
    // Queued: workers refuse the job unless their migrations and optimizations are the ones planned here.
    const sets = options.operations.definitions;
    if (fanOut.remote && sets) {
      const args = {
        migrationSet: setDigest(sets.migrations),
        optimizationSet: setDigest(sets.optimizations),
      };
      fanOut.remote = withTenantArgs(fanOut.remote, () => args);
    }
    const journalMark = journal.dropMark;
    const journaling = journalCheckpoint(journal, (reason) => stop('journal', reason));
    const onFailure = options.onFailure ?? 'rollback';
    const canaries = new Set(waves.filter((w) => w.canary).flatMap((w) => w.tenants.map((t) => t.id)));
    const countFailure = (tenantId: string) => {
      failures++;
      if (onFailure === 'stop')
        stop('on-failure-stop', `not started: tenant ${tenantId} failed and --on-failure is stop`);
      // Before the budget: a canary's failure stops the run whatever the budget (and a resume cannot go
      // past it), so "more than the failure budget" would point at the wrong way on.
      if (canaries.has(tenantId)) stop('canary', `not started: the canary wave failed (tenant ${tenantId})`);
      if (failures > budget)
        stop(
          'failure-budget',
          `not started: ${failures} tenant(s) failed, more than the failure budget (${budget})`,
        );
    };
    const onEvent = (e: Parameters<NonNullable<FleetOptions['onEvent']>>[0]) => {
      // Counted from the result, which a queued run (--queue) gets from its worker like a local run from
      // its task: the gates hold the same either way. A tenant that started and was skipped (its lock
      // held elsewhere) is not upgraded either; one the gates kept from starting is not a failure.
      if (e.type === 'tenant:done' && countsAsFailure(e.result)) countFailure(e.tenantId);
      journal.onEvent(e);
      observe?.(e);
    };
    const firstOnHost = new Map<string, Tenant>();
    for (const t of all) if (!firstOnHost.has(t.host)) firstOnHost.set(t.host, t);
    const run = createFleetRun<UpgradeDetails>({
      ...fanOut,
      onEvent,
      command: 'upgrade',
      runId,
      tenants: all,
      emptyDetails,
      startGate: () => stopReason,
      ...(options.throttle ? { beforeStart: createThrottle(options.throttle, firstOnHost, onEvent) } : {}),
    });
    // A resumed run reports (and exits) on the whole run, not only on the tenants this process finishes.
    if (resume) run.carryOver(resume.finishedResults);
    const settings = {
      runId,
      hooks: options.hooks ?? {},
      checks: options.checks ?? [],
      onFailure,
      rollbackWith: options.rollbackWith ?? 'restore',
      deepVerify: options.deepVerify ?? false,
      skipBackup: options.skipBackup ?? false,
      checkpoint: journaling.checkpoint,
      history: options.history,
    } as const;

    // Tenants a killed run left mid-pipeline (possibly in maintenance) are always finished on resume,
    // whatever the gates say; only tenants it never started wait for the gates.
    const inFlight = (t: Tenant) => (resume?.previous.get(t.id)?.size ?? 0) > 0;
    for (const [at, wave] of waves.entries()) {
      if (stopReason && !wave.tenants.some(inFlight)) {
        run.notStarted(wave.tenants, stopReason);
        continue;
      }
      run.emit({
        type: 'wave:start',
        wave: wave.index,
        label: wave.label,
        tenantIds: wave.tenants.map((t) => t.id),
      });
      const waveFailuresBefore = failures;
      const results = await run.batch(
        wave.tenants,
        async (ctx) => {
          const notRead = unread.get(ctx.tenant.id);
          // Not tried by the pre-flight because its server was down: skipped, as the run itself skips it.
          if (notRead)
            return {
              ...(notRead.code === 'HOST_DOWN' ? { status: 'skipped' as const } : {}),
              details: emptyDetails(),
              error: notRead,
            };
          return upgradeTenant(ctx, options.operations, settings, resume?.previous.get(ctx.tenant.id));
        },
        inFlight,
      );
      if (wave.canary && failures > waveFailuresBefore)
        stop('canary', `not started: the canary wave failed (${failures - waveFailuresBefore} tenant(s))`);
      if (run.signal.aborted) stop('interrupted', 'not started: the run was interrupted');
      run.emit({
        type: 'wave:done',
        wave: wave.index,
        passed: !stopReason,
        ...(stopReason ? { reason: stopReason } : {}),
        outcome: waveOutcome({
          failed: failures - waveFailuresBefore,
          runFailures: failures,
          budget,
          stop: stopCause,
          results,
          later: waves.slice(at + 1).flatMap((w) => w.tenants),
          inFlight,
        }),
      });
    }
    // Stopped by the journal, the run is left as a killed one is, to be resumed: its end is recorded if
    // the journal takes it, and what it could not store was said per tenant.
    const stoppedBy = journaling.failure();
    const report = run.end(stoppedBy !== undefined);
    const lost = (await journal.settle()) ?? journal.droppedSince(journalMark);
    if (stoppedBy !== undefined)
      return withJournalError(
        report,
        stoppedBy,
        'the run stopped there; once the journal takes writes, `upgrade --resume` finishes it',
      );
    return lost === undefined ? report : withJournalError(report, lost);
  });
}

export type { UpgradeDetails };
