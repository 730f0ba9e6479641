import type { Knex } from 'knex';
import type { DialectAdapter, TenantSession, Timeouts } from '../dialect/types.js';
import type { FleetEvent } from '../fleet/events.js';
import { describeFailure } from '../util/describe-failure.js';
import { TenantError } from '../util/errors.js';
import {
  ensureHistoryTables,
  historyExists,
  holdKnexLockRow,
  readApplied,
  readChecksums,
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

/** Reads the tenant's history and plans; throws a TenantError naming the file when something blocks. */
export async function planTenant(
  opts: Pick<TenantMigrationOptions, 'session' | 'migrations' | 'allowOutOfOrder' | 'directory'>,
  to?: string,
  readOnly = false,
): Promise<MigrationPlan & { nextBatch: number; recorded: ReadonlySet<string> }> {
  const { knex, tenant } = opts.session;
  // A read-only plan (dry run) creates no history table: a tenant without one has nothing applied.
  if (readOnly && !(await historyExists(knex, tenant.schema))) {
    const empty = planMigrations({
      available: opts.migrations,
      applied: [],
      recorded: new Map(),
      to,
      allowOutOfOrder: opts.allowOutOfOrder,
    });
    return { ...empty, nextBatch: 1, recorded: new Set() };
  }
  if (!readOnly) {
    const lookup = opts.session.existingTables?.bind(opts.session);
    await ensureHistoryTables(knex, tenant.schema, lookup);
  }
  // One pinned connection: these run one after the other whatever the syntax.
  const applied = await readApplied(knex, tenant.schema);
  const recorded = await readChecksums(knex, tenant.schema, { tableExists: !readOnly });
  const plan = planMigrations({
    available: opts.migrations,
    applied,
    recorded,
    to,
    allowOutOfOrder: opts.allowOutOfOrder,
  });
  // The batch the pending migrations will share, from the rows just read (no second history read).
  return {
    ...plan,
    nextBatch: applied.reduce((max, a) => Math.max(max, a.batch), 0) + 1,
    recorded: new Set(recorded.keys()),
  };
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
  const record = async (on: Knex | Knex.Transaction) => {
    if (direction === 'up') {
      const staleChecksum = opts.recordedChecksums?.has(migration.name) ?? true;
      await recordApplied(on, schema, {
        name: migration.name,
        batch,
        checksum: migration.checksum,
        staleChecksum,
      });
    } else await removeApplied(on, schema, migration.name);
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
      if (!(await holdKnexLockRow(trx, schema))) {
        throw new TenantError(
          'KNEX_LOCKED',
          'knex_migrations_lock is set: a knex CLI migration is running here, or one crashed (`knex migrate:unlock` clears it)',
        );
      }
      await body(trx, ctx);
      await record(trx);
    });
    return;
  }
  // Opted out (CREATE INDEX CONCURRENTLY and friends): statements commit as they go.
  if (overrides) await session.setTimeouts(timeouts);
  try {
    await body(session.knex, ctx);
    await record(session.knex);
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
  return withTenantLock(session, opts.lockWaitMs, async () => {
    const plan = await planTenant(opts, to);
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
