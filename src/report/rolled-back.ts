import type { Knex } from 'knex';
import { findRun, type RunRow } from '../journal/read.js';
import { upgradeRollbacks } from '../journal/rollbacks.js';
import { groupBy } from '../util/group-by.js';
import type { RunRollback, TenantRollback } from './types.js';

/** What later `rollback --run` runs undid of an upgrade run: per tenant, and the rollback runs. */
export interface RunRollbacks {
  byTenant: ReadonlyMap<string, TenantRollback>;
  runs: RunRollback[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The rollbacks of `run` by later `rollback --run` runs, from the journal. The report otherwise reads
 * only this run and the ones before it (as it read then), but an upgrade that was undone must not
 * present itself as a standing success. Its own rollback of a failed tenant is already in that tenant's
 * problems. Undefined for a run nothing rolled back (and for every run that is no upgrade).
 */
export async function laterRollbacks(knex: Knex, run: RunRow): Promise<RunRollbacks | undefined> {
  if (run.command !== 'upgrade') return undefined;
  const marks = (await upgradeRollbacks(knex, { upgradeRun: run.runId })).filter(
    (m) => m.rollbackRun !== run.runId,
  );
  if (marks.length === 0) return undefined;
  const runs: RunRollback[] = [];
  for (const [runId, tenants] of groupBy(marks, (m) => m.rollbackRun)) {
    const row = await findRun(knex, runId);
    runs.push({
      runId,
      with: tenants[0]!.with,
      status: row?.status ?? 'unknown',
      startedAt: iso(row?.startedAt ?? Math.min(...tenants.map((t) => t.at))),
      finishedAt: row?.finishedAt != null ? iso(row.finishedAt) : null,
      tenants: tenants.map((t) => t.tenantId).sort(),
    });
  }
  runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
  const byTenant = new Map(
    marks.map((m) => [m.tenantId, { runId: m.rollbackRun, with: m.with, at: iso(m.at) }] as const),
  );
  return { byTenant, runs };
}
