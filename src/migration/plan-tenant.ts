import { TenantError } from '../core/errors.js';
import {
  ensureHistoryTables,
  existingHistoryTables,
  type HistoryOptions,
  type HistorySnapshot,
  hasAllHistoryTables,
  historyExists,
  historyLocation,
  historyTables,
  readHistoryIfComplete,
  readHistoryOf,
  tableLookupOf,
} from './history.js';
import { describeProblem, type MigrationPlan, planMigrations } from './planner.js';
import type { MigrateDetails, TenantMigrationOptions } from './tenant-options.js';

type PlanFor = Pick<
  TenantMigrationOptions,
  'session' | 'migrations' | 'allowOutOfOrder' | 'directory' | 'continueBatchOf'
> & {
  /** knex's tableName/schemaName (default knex_migrations, in the tenant's schema if it has one). */
  history?: HistoryOptions;
};

function planFrom(opts: PlanFor, history: HistorySnapshot, to?: string) {
  const plan = planMigrations({
    available: opts.migrations,
    applied: history.applied,
    recorded: history.recorded,
    to,
    allowOutOfOrder: opts.allowOutOfOrder,
  });
  // The batch the pending migrations will share, from the rows just read (no second history read).
  const newest = history.applied.reduce((max, a) => Math.max(max, a.batch), 0);
  const ours = new Set(opts.continueBatchOf ?? []);
  const inNewest = history.applied.filter((a) => a.batch === newest);
  const continues = inNewest.length > 0 && inNewest.every((a) => ours.has(a.name));
  return {
    ...plan,
    nextBatch: continues ? newest : newest + 1,
    recorded: new Set(history.recorded.keys()) as ReadonlySet<string>,
  };
}

/**
 * Reads the tenant's history and plans; throws a TenantError naming the file when something blocks.
 * `existing`: the history tables the caller has just seen (all three: no lookup, nothing to create).
 */
export async function planTenant(
  opts: PlanFor,
  to?: string,
  readOnly = false,
  existing?: ReadonlySet<string>,
): Promise<MigrationPlan & { nextBatch: number; recorded: ReadonlySet<string> }> {
  const { session } = opts;
  const { knex } = session;
  const where = historyLocation(session.tenant, opts.history);
  // A read-only plan (dry run) creates no history table: a tenant without one has nothing applied.
  if (readOnly && !(await historyExists(knex, where))) {
    return planFrom(opts, { applied: [], recorded: new Map() }, to);
  }
  let tables = existing ?? (await existingHistoryTables(tableLookupOf(session), where));
  if (!readOnly && !hasAllHistoryTables(tables, where)) {
    await ensureHistoryTables(knex, where, undefined, {
      existing: tables,
      runScript: (sql) => session.runScript(sql),
    });
    tables = new Set(historyTables(where));
  }
  return planFrom(opts, await readHistoryOf(session, where, tables), to);
}

/**
 * Where reads never wait on the migration lock (`nonBlockingReads`), checks the history before taking
 * it: a tenant with nothing to do costs one catalog lookup and one read, no lock. Anything else — a
 * pending migration, a problem, a table to create, an error — goes the locked way, which re-reads.
 * Committed history is final: a migration is recorded in the transaction that applies it (or after it
 * committed, for one that opted out), so "nothing pending" read without the lock is the truth.
 */
export async function upToDateWithoutLock(
  opts: TenantMigrationOptions & { history?: HistoryOptions },
  to?: string,
): Promise<{ details?: MigrateDetails; existing?: ReadonlySet<string> }> {
  if (!opts.adapter.capabilities.nonBlockingReads) return {};
  const { session } = opts;
  const where = historyLocation(session.tenant, opts.history);
  try {
    const { existing, snapshot } = await readHistoryIfComplete(session, where);
    if (!snapshot) return { existing };
    const plan = planFrom(opts, snapshot, to);
    const idle = plan.pending.length === 0 && plan.adopt.length === 0 && plan.problems.length === 0;
    return idle ? { details: { applied: [], current: plan.current, pending: [] }, existing } : { existing };
  } catch {
    return {};
  }
}

/** The code a plan problem fails a tenant with: the migrate step's, and upgrade's pre-flight's too. */
export const PROBLEM_CODES = {
  edited: 'CHECKSUM_MISMATCH',
  missing: 'MIGRATION_MISSING',
  'out-of-order': 'OUT_OF_ORDER',
  invalid: 'INVALID_MIGRATION',
} as const satisfies Record<MigrationPlan['problems'][number]['kind'], string>;

export function assertNoProblems(plan: MigrationPlan, directory?: string): void {
  if (plan.problems.length === 0) return;
  const code = PROBLEM_CODES[plan.problems[0]!.kind];
  throw new TenantError(code, plan.problems.map((p) => describeProblem(p, directory)).join('; '));
}
