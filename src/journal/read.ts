import type { Knex } from 'knex';
import { type ErrorInfo, storedError } from '../core/errors.js';
import { MIGRATIONS, RUNS, STEPS, TENANTS } from './schema.js';

export interface RunRow {
  runId: string;
  command: string;
  status: string;
  startedAt: number;
  finishedAt: number | null;
  options: Record<string, unknown> | null;
  summary: Record<string, number> | null;
  /** The process that ran it last (see process-alive.ts), as journaled; null for runs before owners. */
  owner: unknown;
}

export interface RunTenantRow {
  tenantId: string;
  host: string | null;
  wave: number;
  status: string;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  error: ErrorInfo | null;
  details: Record<string, unknown> | null;
  maintenanceStartedAt: number | null;
  maintenanceEndedAt: number | null;
}

export interface StepRow {
  runId: string;
  tenantId: string;
  step: string;
  status: string;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  error: ErrorInfo | null;
  data: Record<string, unknown> | null;
}

const parse = (text: unknown) => (typeof text === 'string' && text !== '' ? JSON.parse(text) : null);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toRun(r: Record<string, unknown>): RunRow {
  return {
    runId: String(r.run_id),
    command: String(r.command),
    status: String(r.status),
    startedAt: Number(r.started_at),
    finishedAt: num(r.finished_at),
    options: parse(r.options),
    summary: parse(r.summary),
    owner: parseOrNull(r.owner),
  };
}

function parseOrNull(text: unknown): unknown {
  try {
    return parse(text);
  } catch {
    return null;
  }
}

/** The named run, or the newest one (of `command`, when given). */
export async function findRun(knex: Knex, runId?: string, command?: string): Promise<RunRow | undefined> {
  const q = knex(RUNS).select('*');
  // A named run of another command is not found: `rollback --run <a migrate run>` must not treat it as
  // an upgrade.
  if (command) q.where({ command });
  if (runId) q.where({ run_id: runId });
  // "The latest run" is the latest that started: a command refused for its options is not one.
  else q.whereNot({ status: 'not-started' });
  const row = await q.orderBy('started_at', 'desc').orderBy('run_id', 'desc').first();
  return row ? toRun(row) : undefined;
}

export async function listRuns(knex: Knex, limit = 20): Promise<RunRow[]> {
  return (await knex(RUNS).select('*').orderBy('started_at', 'desc').limit(limit)).map(toRun);
}

export async function runTenants(knex: Knex, runId: string): Promise<RunTenantRow[]> {
  const rows = await knex(TENANTS).where({ run_id: runId }).orderBy('wave').orderBy('tenant_id');
  return rows.map((r: Record<string, unknown>) => ({
    tenantId: String(r.tenant_id),
    host: (r.host as string | null) ?? null,
    wave: Number(r.wave ?? 0),
    status: String(r.status),
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
    durationMs: num(r.duration_ms),
    error: r.error_code ? storedError(r.error_code, r.error_message) : null,
    details: parse(r.details),
    maintenanceStartedAt: num(r.maintenance_started_at),
    maintenanceEndedAt: num(r.maintenance_ended_at),
  }));
}

export async function runSteps(knex: Knex, runId: string, tenantId?: string): Promise<StepRow[]> {
  const rows = await knex(STEPS)
    .where({ run_id: runId, ...(tenantId !== undefined ? { tenant_id: tenantId } : {}) })
    .orderBy('id');
  return rows.map((r: Record<string, unknown>) => ({
    runId: String(r.run_id),
    tenantId: String(r.tenant_id),
    step: String(r.step),
    status: String(r.status),
    startedAt: Number(r.started_at),
    finishedAt: num(r.finished_at),
    durationMs: num(r.duration_ms),
    error: r.error_code ? storedError(r.error_code, r.error_message) : null,
    data: parse(r.data),
  }));
}

/** Migrations a run applied (net of ones it reverted), per tenant (or of one tenant), in order. */
export async function runMigrations(
  knex: Knex,
  runId: string,
  tenantId?: string,
): Promise<Map<string, string[]>> {
  const rows = await knex(MIGRATIONS)
    .where({ run_id: runId, ...(tenantId !== undefined ? { tenant_id: tenantId } : {}) })
    .orderBy('id');
  const byTenant = new Map<string, string[]>();
  for (const r of rows as { tenant_id: string; name: string; direction: string }[]) {
    const list = byTenant.get(r.tenant_id) ?? [];
    if (r.direction === 'up') list.push(r.name);
    else if (list.includes(r.name)) list.splice(list.lastIndexOf(r.name), 1);
    byTenant.set(r.tenant_id, list);
  }
  return byTenant;
}

/**
 * The tenants an earlier `rollback --run <upgradeRunId>` rolled back (its `rollback` step succeeded, or
 * the tenant did), each with the first such rollback run: rolling the run back again must leave them
 * alone. The step is what counts: a tenant whose afterTenant hook failed after its restore is failed,
 * but rolled back all the same — a second restore would lose what was
 * written since the first, and a second round of downs would undo migrations no longer applied.
 * `except` leaves out the rollback run asking (a queue worker's own).
 */
export async function earlierRollbacks(
  knex: Knex,
  upgradeRunId: string,
  options: { tenantId?: string; except?: string } = {},
): Promise<Map<string, string>> {
  const runs = (await knex(RUNS).where({ command: 'rollback' }).select('run_id', 'options'))
    .filter((r: { run_id: string; options: unknown }) => {
      const opts = parseOrNull(r.options) as { run?: unknown } | null;
      return opts?.run === upgradeRunId && r.run_id !== options.except;
    })
    .map((r: { run_id: string }) => r.run_id);
  const byTenant = new Map<string, string>();
  if (runs.length === 0) return byTenant;
  const rows = await rolledBackTenants(knex, runs, options.tenantId);
  // The first one did it; later ones found it done.
  for (const r of rows) if (!byTenant.has(r.tenant_id)) byTenant.set(r.tenant_id, r.run_id);
  return byTenant;
}

/**
 * Per tenant, the newest upgrade run after `upgradeRunId` that changed it (applied a migration) and was not
 * rolled back since — by its own rollback or a `rollback --run` of it. Rolling back the older run over it
 * would undo that run too, unjournaled: its pre-upgrade backup predates it, its downs run under its schema.
 */
export async function laterUpgrades(knex: Knex, upgradeRunId: string): Promise<Map<string, string>> {
  const run = await findRun(knex, upgradeRunId, 'upgrade');
  const byTenant = new Map<string, string>();
  if (!run) return byTenant;
  const later = (await knex(RUNS)
    .where({ command: 'upgrade' })
    .where('started_at', '>', run.startedAt)
    .orderBy('started_at', 'desc')
    .select('run_id')) as { run_id: string }[];
  for (const { run_id } of later) {
    const applied = await runMigrations(knex, run_id);
    if (applied.size === 0) continue;
    const selfRolledBack = new Set(
      (await runTenants(knex, run_id)).filter((t) => t.details?.rolledBack === true).map((t) => t.tenantId),
    );
    const rolledBack = await earlierRollbacks(knex, run_id);
    for (const [tenant, names] of applied)
      if (names.length > 0 && !selfRolledBack.has(tenant) && !rolledBack.has(tenant) && !byTenant.has(tenant))
        byTenant.set(tenant, run_id);
  }
  return byTenant;
}

/**
 * The tenants of these rollback runs that were rolled back, oldest first: a succeeded `rollback` step
 * (since the afterTenant hook that reopens a tenant is a step of its own, a failed reopen leaves it), or
 * a succeeded tenant (one found rolled back already, or journaled by an older dbfleet).
 */
export async function rolledBackTenants(
  knex: Knex,
  rollbackRuns: readonly string[],
  tenantId?: string,
): Promise<{ run_id: string; tenant_id: string; finished_at: number; details: unknown }[]> {
  if (rollbackRuns.length === 0) return [];
  const only = tenantId !== undefined ? { tenant_id: tenantId } : {};
  const [steps, tenants] = await Promise.all([
    knex(STEPS)
      .whereIn('run_id', [...rollbackRuns])
      .where({ step: 'rollback', status: 'succeeded', ...only })
      .select('run_id', 'tenant_id', 'finished_at'),
    knex(TENANTS)
      .whereIn('run_id', [...rollbackRuns])
      .where(only)
      .select('run_id', 'tenant_id', 'status', 'finished_at', 'details'),
  ]);
  const key = (r: { run_id: string; tenant_id: string }) => `${r.run_id}\u0000${r.tenant_id}`;
  const stepDone = new Map<string, number>(
    (steps as { run_id: string; tenant_id: string; finished_at: number }[]).map((s) => [
      key(s),
      Number(s.finished_at),
    ]),
  );
  return (
    tenants as { run_id: string; tenant_id: string; status: string; finished_at: number; details: unknown }[]
  )
    .filter((t) => t.status === 'succeeded' || stepDone.has(key(t)))
    .map((t) => ({
      run_id: t.run_id,
      tenant_id: t.tenant_id,
      // When the tenant finished; one that failed after its rollback (its reopen), when the rollback did.
      finished_at:
        t.status === 'succeeded' ? Number(t.finished_at) : (stepDone.get(key(t)) ?? Number(t.finished_at)),
      details: t.details,
    }))
    .sort((a, b) => a.finished_at - b.finished_at);
}
