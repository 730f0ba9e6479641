import type { FleetEvent, RunSummary, TenantResult } from '../core/events.js';

/**
 * The `--json` contract. `D` is the command's per-tenant details (MigrateDetails,
 * UpgradeDetails, …); code that reads no details takes `FleetReport<object>`, which every report is.
 * The details are `type` aliases, not interfaces: an alias is assignable to `Record<string, unknown>`, so
 * a `FleetReport<MigrateDetails>` still is a plain `FleetReport` for callers that read details loosely.
 */
export interface FleetReport<D extends object = Record<string, unknown>> {
  command: string;
  ok: boolean;
  runId?: string;
  interrupted: boolean;
  /**
   * The journal could not record all of the run (a refused write, a full disk): what and why. The tenants
   * are as the report says, but `dbfleet report`, `rollback --run` and `upgrade --resume` read the journal:
   * the run is not ok.
   */
  journalError?: string;
  durationMs: number;
  summary: RunSummary;
  tenants: TenantResult<D>[];
}

export function summarize(results: readonly TenantResult<object>[]): RunSummary {
  const summary: RunSummary = { total: results.length, succeeded: 0, failed: 0, skipped: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

/**
 * `ok` (and exit 0) means every selected tenant is done. A skipped tenant — locked by another runner,
 * not started after a failure-budget stop or an interrupt — is not done: the run is not ok.
 */
export function isDone(summary: RunSummary, interrupted: boolean): boolean {
  return summary.failed === 0 && summary.skipped === 0 && !interrupted;
}

export interface SkipReason {
  code: string;
  message: string;
  tenants: number;
}

/** Why tenants were skipped, most frequent first: the summary line under the table says it. */
export function skipReasons(results: readonly TenantResult<object>[]): SkipReason[] {
  const byReason = new Map<string, SkipReason>();
  for (const r of results) {
    if (r.status !== 'skipped') continue;
    const code = r.error?.code ?? 'SKIPPED';
    const message = r.error?.message ?? 'skipped';
    const key = `${code}\0${message}`;
    const reason = byReason.get(key) ?? { code, message, tenants: 0 };
    reason.tenants++;
    byReason.set(key, reason);
  }
  return [...byReason.values()].sort((a, b) => b.tenants - a.tenants || a.code.localeCompare(b.code));
}

/**
 * Folds a run's events into its report, one event at a time (a run of 1000 tenants keeps no event log
 * in memory). Pure: the same events always give the same report.
 */
export function createReportFold<D extends object = Record<string, unknown>>() {
  let command = '';
  let runId: string | undefined;
  let interrupted = false;
  let durationMs = 0;
  const byTenant = new Map<string, TenantResult<object>>();
  // Tenants are reported in the order they were queued (inventory order), not the order they finished.
  const order = new Map<string, number>();
  return {
    add(event: FleetEvent): void {
      if (event.type === 'tenant:queued') {
        if (!order.has(event.tenantId)) order.set(event.tenantId, order.size);
      } else if (event.type === 'run:start') {
        command = event.command;
        runId = event.runId;
      } else if (event.type === 'tenant:done') {
        byTenant.set(event.tenantId, event.result);
      } else if (event.type === 'run:done') {
        interrupted = event.interrupted;
        durationMs = event.durationMs;
      }
    },
    report(): FleetReport<D> {
      const rank = (id: string) => order.get(id) ?? Number.MAX_SAFE_INTEGER;
      // `tenant:done` carries any command's details, so the stream cannot say they are D: the runner that
      // creates the fold knows its tasks produce D (and its emptyDetails stand in for them) and names it.
      const tenants = [...byTenant.values()].sort((x, y) => rank(x.id) - rank(y.id)) as TenantResult<D>[];
      const summary = summarize(tenants);
      return {
        command,
        ok: isDone(summary, interrupted),
        ...(runId ? { runId } : {}),
        interrupted,
        durationMs,
        summary,
        tenants,
      };
    },
  };
}

export function foldReport(events: Iterable<FleetEvent>): FleetReport {
  const fold = createReportFold();
  for (const event of events) fold.add(event);
  return fold.report();
}

/** A tenant of the `--json` report: the contract's fields, then the command's own (its details, flat). */
export type JsonTenant<D extends object = Record<string, unknown>> = {
  id: string;
  status: TenantResult['status'];
  durationMs: number;
  error?: TenantResult['error'];
} & D;

/** The CLI's `--json` document (../shared/DESIGN.md §4) of a report. */
export interface JsonReport<D extends object = Record<string, unknown>> {
  command: string;
  ok: boolean;
  runId?: string;
  /** Only when the run was interrupted (Ctrl-C, an AbortSignal). */
  interrupted?: true;
  /** Only when the journal could not record all of the run (see FleetReport). */
  journalError?: string;
  durationMs: number;
  summary: FleetReport['summary'];
  tenants: JsonTenant<D>[];
}

/** Flattens a result into the contract's tenant entry: `{ id, status, durationMs, error?, …details }`. */
export function toJsonTenant(result: TenantResult<object>): JsonTenant {
  return {
    id: result.id,
    status: result.status,
    durationMs: result.durationMs,
    ...(result.error ? { error: result.error } : {}),
    ...result.details,
  };
}

/** The report as the CLI prints it with `--json`: a library caller can hand it on in the same shape. */
export function toJsonReport(report: FleetReport<object>): JsonReport {
  return {
    command: report.command,
    ok: report.ok,
    ...(report.runId ? { runId: report.runId } : {}),
    ...(report.interrupted ? { interrupted: true } : {}),
    ...(report.journalError ? { journalError: report.journalError } : {}),
    durationMs: report.durationMs,
    summary: report.summary,
    tenants: report.tenants.map(toJsonTenant),
  };
}
