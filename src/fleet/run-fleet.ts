import { type ErrorInfo, TenantError } from '../core/errors.js';
import type { EventListener, FleetEvent, TenantResult, TenantStatus } from '../core/events.js';
import { registerConnectionSecrets, withRedaction } from '../core/redact.js';
import { serverKey } from '../core/server-key.js';
import type { Tenant } from '../core/tenant.js';
import { getAdapter } from '../dialect/registry.js';
import type { DialectAdapter, SessionOptions, TenantSession, Timeouts } from '../dialect/types.js';
import type { JournalTarget } from '../journal/use.js';
import { createHostConnections } from './connection-limit.js';
import { describeFailure } from './describe-failure.js';
import { forEachInHostLanes } from './host-lanes.js';
import { journaledRun } from './journaled-run.js';
import { createReportFold, type FleetReport, summarize } from './report.js';
import { createScheduler } from './scheduler.js';
import { localSecondConnections, type SecondConnectionGate } from './second-connections.js';

export { describeFailure };

export interface TenantContext {
  tenant: Tenant;
  adapter: DialectAdapter;
  /** The tenant's one pinned connection, opened on first use and closed when the tenant is done. */
  session(): Promise<TenantSession>;
  /**
   * Closes the session now, to give its connection back while a step works without it (pg_dump on its
   * own connection); the next `session()` opens a new one. Its session lock and settings go with it.
   */
  releaseSession(): Promise<void>;
  /** Runs `fn` while the tenant holds a second connection to its host (see SecondConnectionGate). */
  secondConnection<T>(fn: () => Promise<T>): Promise<T>;
  emit(event: FleetEvent): void;
  signal: AbortSignal;
  /** The run's session timeouts (a hook or smoke check function is bounded by the statement timeout). */
  timeouts?: Timeouts;
}

export interface TaskOutcome<D extends object = Record<string, unknown>> {
  status?: TenantStatus;
  error?: ErrorInfo;
  details: D;
}

export interface FleetRunOptions {
  command: string;
  tenants: readonly Tenant[];
  concurrency: number;
  perHost: number;
  sessionOptions: SessionOptions;
  onEvent?: EventListener;
  signal?: AbortSignal;
  runId?: string;
  beforeStart?: (host: string, signal?: AbortSignal) => Promise<void>;
  startGate?: () => string | undefined;
  /** Details reported for a tenant that fails before its task produced any. */
  emptyDetails?: () => Record<string, unknown>;
  /** `runFleet` journals the run here (see journaledRun); `createFleetRun`'s callers journal their own. */
  journal?: JournalTarget;
  /** Hand each tenant's task to other processes (`--queue`) instead of running it here. */
  remote?: RemoteRunner;
  /** Bounds the tenants of a host that hold a second connection at once (default: this process's). */
  secondConnections?: SecondConnectionGate;
}

type Task<D extends object> = (ctx: TenantContext) => Promise<TaskOutcome<D>>;

/** What a tenant job of a run carries to whoever runs it elsewhere (see RemoteRunner). */
export interface RemoteJob {
  command: string;
  runId?: string;
  /** The run's per-host cap, which every runner of the run obeys together. */
  perHost: number;
  emptyDetails: () => Record<string, unknown>;
  /** Flags of this tenant's job only, over the run's (verify --sample: which tenants get deep). */
  args?: Readonly<Record<string, string | number | boolean>>;
}

/** `remote` with per-tenant job flags added (see RemoteJob.args). */
export function withTenantArgs(
  remote: RemoteRunner,
  argsOf: (tenant: Tenant) => Readonly<Record<string, string | number | boolean>>,
): RemoteRunner {
  return { run: (ctx, job) => remote.run(ctx, { ...job, args: { ...job.args, ...argsOf(ctx.tenant) } }) };
}

/**
 * Runs a tenant's task somewhere else (a queue worker, src/queue/) instead of here: the run keeps its
 * scheduler, caps, gates and report fold, and only "run the task" changes hands. The tenant's session
 * is never opened by this process.
 */
export interface RemoteRunner {
  run(ctx: TenantContext, job: RemoteJob): Promise<TaskOutcome>;
}

/**
 * A run that may fan out in several batches (the upgrade's waves) under one run id, one set of caps
 * and one report. `runFleet` is the single-batch case.
 */
export function createFleetRun<R extends object = Record<string, unknown>>(
  options: FleetRunOptions & { total?: number },
) {
  // Into the caller's redaction scope (runFleet, upgrade, rollbackRun open one): a library caller's
  // tenants' passwords are masked in this run's errors though it registered none itself.
  for (const tenant of options.tenants) registerConnectionSecrets(tenant.connection);
  const fold = createReportFold<R>();
  const emit = (event: FleetEvent) => {
    fold.add(event);
    options.onEvent?.(event);
  };
  const started = Date.now();
  const signal = options.signal ?? new AbortController().signal;
  emit({
    type: 'run:start',
    command: options.command,
    runId: options.runId,
    total: options.total ?? options.tenants.length,
    at: started,
  });
  const schedule = createScheduler({
    concurrency: options.concurrency,
    perHost: options.perHost,
    signal,
    beforeStart: options.beforeStart,
    startGate: options.startGate,
  });
  const connections = createHostConnections({ lowerHostCap: schedule.lowerHostCap, emit, signal });
  const empty = options.emptyDetails ?? (() => ({}));
  const secondConnections = options.secondConnections ?? localSecondConnections;
  const all: TenantResult[] = [];
  // Each running tenant's "close my session now", for closeSessions.
  const closers = new Set<() => Promise<void>>();
  let sessionsClosed = false;

  const finish = (result: TenantResult): TenantResult => {
    all.push(result);
    emit({ type: 'tenant:done', tenantId: result.id, result });
    return result;
  };

  const runTenant = async <D extends object>(tenant: Tenant, task: Task<D>): Promise<TenantResult> => {
    const adapter = getAdapter(tenant.dialect);
    const t0 = Date.now();
    emit({ type: 'tenant:start', tenantId: tenant.id, host: tenant.host, at: t0 });
    let session: TenantSession | undefined;
    let opening: Promise<TenantSession> | undefined;
    const ctx: TenantContext = {
      tenant,
      adapter,
      signal,
      emit,
      timeouts: options.sessionOptions.timeouts,
      session: () => {
        if (sessionsClosed)
          return Promise.reject(new TenantError('INTERRUPTED', 'the runner stopped: no new session'));
        opening ??= connections
          .open(tenant, adapter, () => adapter.open(tenant, options.sessionOptions))
          .then((s) => {
            session = s;
            return s;
          });
        return opening;
      },
      releaseSession: async () => {
        const open = opening;
        opening = undefined;
        session = undefined;
        if (open) await open.then((s) => s.close()).catch(() => {});
      },
      secondConnection: (fn) => secondConnections(tenant.host, fn),
    };
    const closeNow = () => ctx.releaseSession();
    closers.add(closeNow);
    let result: TenantResult;
    try {
      const outcome = options.remote
        ? await options.remote.run(ctx, {
            command: options.command,
            runId: options.runId,
            perHost: options.perHost,
            emptyDetails: empty,
          })
        : await task(ctx);
      const status = outcome.status ?? (outcome.error ? 'failed' : 'succeeded');
      result = { id: tenant.id, status, durationMs: 0, details: outcome.details as Record<string, unknown> };
      if (outcome.error) result.error = outcome.error;
    } catch (err) {
      const status = err instanceof TenantError && err.skipped ? 'skipped' : 'failed';
      result = {
        id: tenant.id,
        status,
        durationMs: 0,
        error: describeFailure(err, adapter),
        details: empty(),
      };
    } finally {
      closers.delete(closeNow);
      if (session) await session.close().catch(() => {});
    }
    result.durationMs = Date.now() - t0;
    return finish(result);
  };

  return {
    emit,
    signal,
    /** Runs one batch of tenants to completion (every tenant gets a result, started or not). */
    batch<D extends object>(
      tenants: readonly Tenant[],
      task: Task<D>,
      mustFinish: (tenant: Tenant) => boolean = () => false,
    ): Promise<TenantResult[]> {
      for (const tenant of tenants) emit({ type: 'tenant:queued', tenantId: tenant.id, host: tenant.host });
      const results = new Array<TenantResult>(tenants.length);
      const indexes = tenants.map((_, i) => i);
      // Handed to the scheduler a host's lane at a time, not all at once: see host-lanes.ts.
      return forEachInHostLanes(
        indexes,
        (i) => serverKey(tenants[i]!.host),
        Math.min(options.perHost, options.concurrency),
        async (i) => {
          const tenant = tenants[i]!;
          results[i] = await schedule({
            host: tenant.host,
            ignoreGate: mustFinish(tenant),
            run: () => runTenant(tenant, task),
            notStarted: (reason) =>
              finish({
                id: tenant.id,
                status: 'skipped',
                durationMs: 0,
                error: { code: 'NOT_STARTED', message: reason },
                details: empty(),
              }),
          });
        },
      ).then(() => results);
    },
    /** Marks tenants that will not run at all (a later wave after a failed gate). */
    notStarted(tenants: readonly Tenant[], reason: string): void {
      for (const tenant of tenants)
        finish({
          id: tenant.id,
          status: 'skipped',
          durationMs: 0,
          error: { code: 'NOT_STARTED', message: reason },
          details: empty(),
        });
    },
    /**
     * Results an earlier process of this run already journaled (`--resume`): they belong in this run's
     * report and summary, but are not events again (the journal has them).
     */
    carryOver(results: readonly TenantResult[]): void {
      for (const result of results) {
        all.push(result);
        fold.add({ type: 'tenant:done', tenantId: result.id, result });
      }
    },
    /**
     * Closes every running tenant's session now, under its task, and refuses new ones: their session
     * locks go with them (the server ends a backend mid-statement within its check interval). For a
     * runner that stops at once (`StopAtOnce`), after aborting its signal.
     */
    async closeSessions(): Promise<void> {
      sessionsClosed = true;
      await Promise.all([...closers].map((close) => close()));
    },
    results: (): readonly TenantResult[] => all,
    /** `stopped`: the runner gave up part-way (the upgrade, when its journal failed): an interrupted run. */
    end(stopped = false): FleetReport<R> {
      emit({
        type: 'run:done',
        summary: summarize(all),
        durationMs: Date.now() - started,
        interrupted: signal.aborted || stopped,
        at: Date.now(),
      });
      return fold.report();
    },
  };
}

/**
 * The fan-out: every selected tenant's task runs under the caps, independently, journaled when
 * `options.journal` is set. A tenant's failure is a value in the report; only programming errors in the
 * runner itself (or a journal that cannot be written) reject.
 */
export function runFleet<D extends object>(options: FleetRunOptions, task: Task<D>): Promise<FleetReport<D>> {
  return withRedaction(() =>
    journaledRun(options, async (fleet) => {
      const run = createFleetRun<D>(fleet);
      await run.batch(fleet.tenants, task);
      return run.end();
    }),
  );
}
