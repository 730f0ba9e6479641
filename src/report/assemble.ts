import type { RunRow, RunTenantRow, StepRow } from '../journal/read.js';
import { groupBy } from '../util/group-by.js';
import type { MigrationLogRow, RunSlice, TenantHistory } from './history.js';
import type { RunRollbacks } from './rolled-back.js';
import { durationStats } from './stats.js';
import type { FleetDocument, ReportRun, StepTiming, TenantReport, TenantRollback } from './types.js';

export interface AssembleInput {
  /** The reported run's rows. */
  slice: RunSlice;
  /** The fold of that run and the runs before it (versions, backups). */
  history: TenantHistory;
  now: number;
  /** How many of the slowest tenants to list. */
  slowest: number;
  /** Later `rollback --run` runs that undid this (upgrade) run, when any did. */
  rollbacks?: RunRollbacks;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** `2024-05-01 10:22:03Z`, for sentences. */
const stamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
const UNFINISHED = new Set(['queued', 'running']);

function reportRun(run: RunRow): ReportRun {
  return {
    runId: run.runId,
    command: run.command,
    status: run.status,
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: iso(run.finishedAt),
    durationMs: run.finishedAt === null ? null : run.finishedAt - run.startedAt,
    options: run.options,
  };
}

function netApplied(rows: readonly MigrationLogRow[], details: Record<string, unknown> | null): string[] {
  if (rows.length === 0) {
    const fromResult = details?.applied;
    return Array.isArray(fromResult) ? fromResult.filter((n): n is string => typeof n === 'string') : [];
  }
  const net: string[] = [];
  for (const m of rows) {
    if (m.direction === 'up') net.push(m.name);
    else if (net.includes(m.name)) net.splice(net.lastIndexOf(m.name), 1);
  }
  return net;
}

function tenantReport(
  run: RunRow,
  row: RunTenantRow,
  steps: readonly StepRow[],
  migrations: readonly MigrationLogRow[],
  history: TenantHistory,
  undone: TenantRollback | undefined,
): TenantReport {
  const runEnded = run.status !== 'running';
  const timings: StepTiming[] = steps.map((s) => ({
    step: s.step,
    status: s.status === 'running' && runEnded ? 'interrupted' : s.status,
    startedAt: new Date(s.startedAt).toISOString(),
    durationMs: s.durationMs,
    error: s.error,
  }));
  const details = row.details;
  const start = row.maintenanceStartedAt;
  const end = row.maintenanceEndedAt;
  const inFlight = !runEnded && UNFINISHED.has(row.status);
  const opened = start !== null || details?.maintenance === 'closed';
  const stillIn = opened && end === null && !inFlight;
  const backup = history.backup(row.tenantId);

  const problems: string[] = [];
  const rollback = steps.findLast((s) => s.step === 'rollback');
  if (typeof details?.needsAttention === 'string' || rollback?.status === 'failed') {
    const why =
      typeof details?.needsAttention === 'string' ? details.needsAttention : rollback?.error?.message;
    problems.push(
      `rollback failed — needs attention${why ? `: ${why.replace(/^ROLLBACK FAILED:\s*/i, '')}` : ''}`,
    );
  } else if (details?.rolledBack === true || rollback?.status === 'succeeded') {
    problems.push('rolled back to the pre-upgrade state');
  }
  if (undone) {
    const how = undone.with === 'restore' ? 'its pre-upgrade backup restored' : 'its migrations reverted';
    problems.push(`rolled back by rollback run ${undone.runId} on ${stamp(Date.parse(undone.at))} (${how})`);
  }
  if (stillIn) problems.push(`still in maintenance${start !== null ? ` since ${stamp(start)}` : ''}`);
  if (runEnded && row.status === 'running')
    problems.push('did not finish: the run ended while it was in flight');
  if (runEnded && row.status === 'queued') problems.push('never started: the run ended first');
  if (row.status === 'skipped' && row.error) problems.push(`skipped: ${row.error.message}`);
  // A resumed run leaves the killed attempt's row behind: only a step never finished later is a problem.
  timings.forEach((t, i) => {
    if (t.status === 'interrupted' && !timings.slice(i + 1).some((later) => later.step === t.step))
      problems.push(`step ${t.step} was interrupted`);
  });
  if (backup && backup.verified === false)
    problems.push(
      backup.verifyError
        ? `last backup failed verification: ${backup.verifyError}`
        : 'last backup is not verified',
    );

  return {
    id: row.tenantId,
    host: row.host,
    wave: row.wave,
    status: row.status,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    durationMs: row.durationMs,
    error: row.error,
    failedStep: steps.find((s) => s.status === 'failed')?.step ?? null,
    current: history.version(row.tenantId),
    applied: netApplied(migrations, details),
    backup,
    steps: timings,
    maintenance: {
      windowMs: start !== null && end !== null ? Math.max(0, end - start) : null,
      since: iso(start),
      stillIn,
    },
    problems,
    ...(undone ? { rolledBack: undone } : {}),
  };
}

/** The report document from the journal's rows (pure). */
export function assembleDocument({ slice, history, now, slowest, rollbacks }: AssembleInput): FleetDocument {
  const steps = groupBy(slice.steps, (s) => s.tenantId);
  const migrations = groupBy(slice.migrations, (m) => m.tenantId);
  const tenants = slice.tenants.map((row) =>
    tenantReport(
      slice.run,
      row,
      steps.get(row.tenantId) ?? [],
      migrations.get(row.tenantId) ?? [],
      history,
      rollbacks?.byTenant.get(row.tenantId),
    ),
  );

  const count = (status: string) => tenants.filter((t) => t.status === status).length;
  const versions = new Map<string, { version: string | null; known: boolean; tenants: number }>();
  for (const t of tenants) {
    const key = !t.current ? 'unknown' : t.current.name === null ? 'empty' : `v:${t.current.name}`;
    const entry = versions.get(key) ?? {
      version: t.current?.name ?? null,
      known: t.current !== null,
      tenants: 0,
    };
    entry.tenants++;
    versions.set(key, entry);
  }
  const perStep = groupBy(slice.steps, (s) => s.step);

  return {
    format: 'dbfleet-report',
    version: 1,
    generatedAt: new Date(now).toISOString(),
    run: reportRun(slice.run),
    // Near the top: whoever reads this run first must learn it was undone.
    ...(rollbacks ? { rolledBack: { tenants: rollbacks.byTenant.size, runs: rollbacks.runs } } : {}),
    summary: {
      total: tenants.length,
      succeeded: count('succeeded'),
      failed: count('failed'),
      skipped: count('skipped'),
      unfinished: tenants.filter((t) => UNFINISHED.has(t.status)).length,
      withProblems: tenants.filter((t) => t.problems.length > 0).length,
    },
    versions: [...versions.values()].sort(
      (a, b) => b.tenants - a.tenants || String(a.version).localeCompare(String(b.version)),
    ),
    failures: tenants
      .filter((t) => t.status === 'failed')
      .map((t) => ({
        tenantId: t.id,
        step: t.failedStep,
        code: t.error?.code ?? 'FAILED',
        message: t.error?.message ?? '(no message journaled)',
      })),
    slowest: tenants
      .filter(
        (t): t is TenantReport & { durationMs: number } => t.durationMs !== null && t.startedAt !== null,
      )
      .sort((a, b) => b.durationMs - a.durationMs || a.id.localeCompare(b.id))
      .slice(0, Math.max(0, slowest))
      .map((t) => ({ tenantId: t.id, status: t.status, durationMs: t.durationMs })),
    maintenance: {
      stats: durationStats(
        tenants.flatMap((t) => (t.maintenance.windowMs === null ? [] : [t.maintenance.windowMs])),
      ),
      stillIn: tenants.filter((t) => t.maintenance.stillIn).map((t) => t.id),
    },
    steps: [...perStep.entries()].map(([step, rows]) => ({
      step,
      count: rows.length,
      failed: rows.filter((r) => r.status === 'failed').length,
      stats: durationStats(rows.flatMap((r) => (r.durationMs === null ? [] : [r.durationMs]))),
    })),
    tenants,
  };
}
