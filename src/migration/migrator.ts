import type { Knex } from 'knex';
import type { DialectAdapter, TenantSession, Timeouts } from '../dialect/types.js';
import type { FleetEvent } from '../fleet/events.js';
import { describeFailure } from '../util/describe-failure.js';
import { TenantError } from '../util/errors.js';
import {
  ensureHistoryTables,
  HISTORY_TABLES,
  type HistorySnapshot,
  hasTableLookup,
  historyExists,
  holdKnexLockRow,
  readHistory,
  recordApplied,
  removeApplied,
  writeChecksum,
} from './history.js';
import { describeProblem, type MigrationPlan, planMigrations } from './planner.js';
import type { Migration, MigrationRunContext } from './types.js';

export interface TenantMigrationOptions {
  session: TenantSession;
  adapter: DialectAdapter;
  migrations: readonly Migration[];
  directory?: string;
  timeouts: Timeouts;
  /** How long to wait for another runner's lock on this tenant (0 = skip it at once). */
  lockWaitMs: number;
  allowOutOfOrder?: boolean;
  emit: (event: FleetEvent) => void;
  signal?: AbortSignal;
  /** Names with a checksum row already (from the plan): only those need it replaced when applied. */
  recordedChecksums?: ReadonlySet<string>;
}

export interface MigrateDetails {
  applied: string[];
  current: string | null;
  pending: string[];
}

/** Takes the tenant's session lock or reports the tenant skipped; always releases it. */
export async function withTenantLock<T>(
  session: TenantSession,
  waitMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  if (!(await session.tryLock(waitMs))) {
    throw new TenantError(
      'LOCKED',
      "the tenant's migration lock is held by another session (another dbfleet runner; on SQLite also an application connection writing)",
      {
        skipped: true,
      },
    );
  }
  try {
    return await fn();
  } finally {
    await session.unlock().catch(() => {});
  }
}

type PlanFor = Pick<TenantMigrationOptions, 'session' | 'migrations' | 'allowOutOfOrder' | 'directory'>;

function planFrom(opts: PlanFor, history: HistorySnapshot, to?: string) {
  const plan = planMigrations({
    available: opts.migrations,
    applied: history.applied,
    recorded: history.recorded,
    to,
    allowOutOfOrder: opts.allowOutOfOrder,
  });
  // The batch the pending migrations will share, from the rows just read (no second history read).
  return {
    ...plan,
    nextBatch: history.applied.reduce((max, a) => Math.max(max, a.batch), 0) + 1,
    recorded: new Set(history.recorded.keys()) as ReadonlySet<string>,
  };
}

function lookupOf(session: TenantSession) {
  return session.existingTables?.bind(session) ?? hasTableLookup(session.knex);
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
  const { knex, tenant } = session;
  // A read-only plan (dry run) creates no history table: a tenant without one has nothing applied.
  if (readOnly && !(await historyExists(knex, tenant.schema))) {
    return planFrom(opts, { applied: [], recorded: new Map() }, to);
  }
  let tables = existing ?? (await lookupOf(session)(HISTORY_TABLES, tenant.schema));
  if (!readOnly && tables.size < HISTORY_TABLES.length) {
    await ensureHistoryTables(knex, tenant.schema, undefined, {
      existing: tables,
      runScript: (sql) => session.runScript(sql),
    });
    tables = new Set(HISTORY_TABLES);
  }
  return planFrom(opts, await readHistory(knex, tenant.schema, tables), to);
}

/**
 * Where reads never wait on the migration lock (`nonBlockingReads`), checks the history before taking
 * it: a tenant with nothing to do costs one catalog lookup and one read, no lock. Anything else — a
 * pending migration, a problem, a table to create, an error — goes the locked way, which re-reads.
 * Committed history is final: a migration is recorded in the transaction that applies it (or after it
 * committed, for one that opted out), so "nothing pending" read without the lock is the truth.
 */
async function upToDateWithoutLock(
  opts: TenantMigrationOptions,
  to?: string,
): Promise<{ details?: MigrateDetails; existing?: ReadonlySet<string> }> {
  if (!opts.adapter.capabilities.nonBlockingReads) return {};
  const { session } = opts;
  try {
    const existing = await lookupOf(session)(HISTORY_TABLES, session.tenant.schema);
    if (existing.size < HISTORY_TABLES.length) return { existing };
    const plan = planFrom(opts, await readHistory(session.knex, session.tenant.schema, existing), to);
    const idle = plan.pending.length === 0 && plan.adopt.length === 0 && plan.problems.length === 0;
    return idle ? { details: { applied: [], current: plan.current, pending: [] }, existing } : { existing };
  } catch {
    return {};
  }
}

export function assertNoProblems(plan: MigrationPlan, directory?: string): void {
  if (plan.problems.length === 0) return;
  const code =
    plan.problems[0]!.kind === 'edited'
      ? 'CHECKSUM_MISMATCH'
      : plan.problems[0]!.kind === 'missing'
        ? 'MIGRATION_MISSING'
        : 'OUT_OF_ORDER';
  throw new TenantError(code, plan.problems.map((p) => describeProblem(p, directory)).join('; '));
}

function effectiveTimeouts(base: Timeouts, migration: Migration): Timeouts {
  return {
    lockTimeoutMs: migration.config.lockTimeoutMs ?? base.lockTimeoutMs,
    statementTimeoutMs: migration.config.statementTimeoutMs ?? base.statementTimeoutMs,
  };
}

/** Runs one migration in its own transaction (unless it opted out), recording it in the same transaction. */
export async function runMigration(
  opts: TenantMigrationOptions,
  migration: Migration,
  direction: 'up' | 'down',
  batch: number,
): Promise<void> {
  const { session, adapter } = opts;
  const schema = session.tenant.schema;
  const ctx: MigrationRunContext = { runScript: (sql, on) => session.runScript(sql, on) };
  const body = direction === 'up' ? migration.up : migration.down;
  if (!body)
    throw new TenantError('NO_DOWN', `migration ${migration.name} has no down, so it cannot be rolled back`);
  const timeouts = effectiveTimeouts(opts.timeouts, migration);
  const knexLocked = () =>
    new TenantError(
      'KNEX_LOCKED',
      'knex_migrations_lock is set: a knex CLI migration is running here, or one crashed (`knex migrate:unlock` clears it)',
    );
  // In a transaction, knex's lock row is held as its last step, in the same round trip as the records.
  const record = async (on: Knex | Knex.Transaction, holdKnexLock: boolean) => {
    if (direction === 'down') {
      if (holdKnexLock && !(await holdKnexLockRow(on, schema))) throw knexLocked();
      await removeApplied(on, schema, migration.name);
      return;
    }
    const recorded = await recordApplied(session, on, schema, {
      name: migration.name,
      batch,
      checksum: migration.checksum,
      staleChecksum: opts.recordedChecksums?.has(migration.name) ?? true,
      holdKnexLock,
    });
    if (!recorded) throw knexLocked();
  };
  // Session-level timeouts already apply; only a migration that overrides them pays for SET LOCAL.
  const overrides =
    migration.config.lockTimeoutMs !== undefined || migration.config.statementTimeoutMs !== undefined;

  if (migration.config.transaction) {
    const script = direction === 'up' ? migration.sql?.up : migration.sql?.down;
    const refusal = script !== undefined ? adapter.checkTransactionalScript?.(script) : undefined;
    if (refusal) throw new TenantError('NEEDS_NO_TRANSACTION', `${migration.name}: ${refusal}`);
    await session.transaction(async (trx) => {
      if (overrides) await session.setTimeouts(timeouts, trx);
      await body(trx, ctx);
      await record(trx, true);
    });
    return;
  }
  // Opted out (CREATE INDEX CONCURRENTLY and friends): statements commit as they go.
  if (overrides) await session.setTimeouts(timeouts);
  try {
    await body(session.knex, ctx);
    // Already committed: it is recorded whatever knex's lock row says.
    await record(session.knex, false);
  } finally {
    if (overrides) await session.setTimeouts(opts.timeouts);
  }
}

/**
 * Migrates one tenant under its session lock: plans, refuses on any problem (nothing applied), adopts
 * knex-applied migrations, then applies the pending ones one by one as one knex batch.
 */
export async function migrateTenant(
  opts: TenantMigrationOptions,
  to?: string,
): Promise<{ details: MigrateDetails; error?: ReturnType<typeof describeFailure> }> {
  const { session } = opts;
  const schema = session.tenant.schema;
  const early = await upToDateWithoutLock(opts, to);
  if (early.details) return { details: early.details };
  const allTables = early.existing?.size === HISTORY_TABLES.length ? early.existing : undefined;
  return withTenantLock(session, opts.lockWaitMs, async () => {
    const plan = await planTenant(opts, to, false, allTables);
    assertNoProblems(plan, opts.directory);
    const byName = new Map(opts.migrations.map((m) => [m.name, m]));
    for (const name of plan.adopt)
      await writeChecksum(session.knex, schema, name, byName.get(name)!.checksum, 'adopted');

    const applied: string[] = [];
    const details = (): MigrateDetails => ({
      applied: [...applied],
      current: applied.at(-1) ?? plan.current,
      pending: plan.pending.slice(applied.length),
    });
    if (plan.pending.length === 0) return { details: details() };
    const batch = plan.nextBatch;
    for (const name of plan.pending) {
      if (opts.signal?.aborted) {
        return {
          details: details(),
          error: {
            code: 'INTERRUPTED',
            message: `interrupted after ${applied.length} of ${plan.pending.length} pending migrations`,
          },
        };
      }
      opts.emit({ type: 'migration:start', tenantId: session.tenant.id, name });
      const t0 = Date.now();
      try {
        await runMigration({ ...opts, recordedChecksums: plan.recorded }, byName.get(name)!, 'up', batch);
      } catch (err) {
        const error = describeFailure(err, opts.adapter);
        const failure = {
          code: error.code === 'FAILED' ? 'MIGRATION_FAILED' : error.code,
          message: `${name}: ${error.message}`,
        };
        opts.emit({
          type: 'migration:failed',
          tenantId: session.tenant.id,
          name,
          direction: 'up',
          error: failure,
        });
        return { details: details(), error: failure };
      }
      applied.push(name);
      opts.emit({
        type: 'migration:applied',
        tenantId: session.tenant.id,
        name,
        direction: 'up',
        durationMs: Date.now() - t0,
      });
    }
    return { details: details() };
  });
}
