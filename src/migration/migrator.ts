import type { Knex } from 'knex';
import { TenantError } from '../core/errors.js';
import { withUserProcessing } from '../dialect/knex-processing.js';
import { withTenantLock } from '../dialect/tenant-lock.js';
import type { Timeouts } from '../dialect/types.js';
import { describeFailure } from '../fleet/describe-failure.js';
import { hasAllHistoryTables, historyLocation } from './history.js';
import { holdKnexLockRow, recordApplied, removeApplied, writeChecksum } from './history-write.js';
import { boundIdleTime, StuckMigration } from './idle-bound.js';
import { assertNoProblems, planTenant, upToDateWithoutLock } from './plan-tenant.js';
import type { MigrateDetails, TenantMigrationOptions } from './tenant-options.js';
import type { Migration, MigrationRunContext } from './types.js';

export type { MigrateDetails, TenantMigrationOptions };

import {
  endedItsTransaction,
  endedItsTransactionStatement,
  failedAfterEndingItsTransaction,
  leftItsTransactionOpen,
} from './transaction-ended.js';
import { ownTransactionMayBeOpen, runWithoutTransaction } from './without-transaction.js';

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
  const where = historyLocation(session.tenant, opts.history);
  const body = direction === 'up' ? migration.up : migration.down;
  if (!body)
    throw new TenantError('NO_DOWN', `migration ${migration.name} has no down, so it cannot be rolled back`);
  // The session's own timeouts may be the knexfile's rather than the run's defaults.
  const own = session.timeouts ?? opts.timeouts;
  const timeouts = effectiveTimeouts(own, migration);
  // Started with the body, stopped when it settles: dbfleet's own statements around it are not its idle time.
  const idleBound = () =>
    boundIdleTime(
      session.knex,
      timeouts.statementTimeoutMs,
      migration.config.transaction,
      opts.closeSession ?? (() => session.close()),
    );
  let bound: ReturnType<typeof idleBound> | undefined;
  // A script (a .sql migration's) is a query in flight however the session sends it.
  const ctx: MigrationRunContext = {
    runScript: (sql, on) =>
      bound ? bound.busy(() => session.runScript(sql, on)) : session.runScript(sql, on),
  };
  /** The migration's own code, bounded in its idle time; once stuck, nothing else it rejected with counts. */
  const runBody = async (on: Knex | Knex.Transaction) => {
    bound = idleBound();
    try {
      await bound.race(withUserProcessing(on, () => body(on, ctx)));
    } catch (err) {
      throw bound.tripped ?? err;
    } finally {
      bound.stop();
    }
  };
  const knexLocked = () =>
    new TenantError(
      'KNEX_LOCKED',
      `${where.lock} is set: a knex CLI migration is running here, or one crashed (\`knex migrate:unlock\` clears it)`,
    );
  // In a transaction, knex's lock row is held as its last step, in the same round trip as the records.
  const record = async (on: Knex | Knex.Transaction, holdKnexLock: boolean) => {
    if (direction === 'down') {
      if (holdKnexLock && !(await holdKnexLockRow(on, where))) throw knexLocked();
      await removeApplied(on, where, migration.name);
      return;
    }
    const recorded = await recordApplied(session, on, where, {
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
    const refusal = script !== undefined ? adapter.checkTransactionalScript(script) : undefined;
    if (refusal) throw new TenantError('NEEDS_NO_TRANSACTION', `${migration.name}: ${refusal}`);
    // A module migration gets knex's own transaction; a .sql one never exposes `trx` to user code.
    let inside: Promise<void> | undefined;
    // A TRANSACTION_ENDED of ours is what happened: knex's rollback on a transaction the server already
    // ended (SQL Server: 3903, no corresponding BEGIN TRANSACTION) must not replace it.
    let ended: TenantError | undefined;
    const end = (err: TenantError) => {
      ended = err;
      return err;
    };
    // Where the driver cannot say whether the transaction is open (SQL Server), the server is asked.
    const askServer = session.outsideTransaction ? undefined : session.ownTransactionEnd?.bind(session);
    try {
      await session
        .transaction(
          (trx) => {
            inside = (async () => {
              if (overrides) await session.setTimeouts(timeouts, trx);
              try {
                await runBody(trx);
              } catch (err) {
                if (err instanceof StuckMigration) throw err;
                if (session.outsideTransaction?.()) throw end(failedAfterEndingItsTransaction(err));
                const how = await askServer?.(trx, err).catch(() => undefined);
                if (how) throw end(failedAfterEndingItsTransaction(err, how));
                throw err;
              }
              if (trx.isCompleted()) throw end(endedItsTransaction(migration.name));
              // Its own COMMIT statement ended the transaction it ran in, and what it ran is committed. The
              // history row gets a transaction again, so it is written and committed as under knex on
              // PostgreSQL — on SQLite the closing COMMIT would otherwise fail, after the row was written.
              if (session.outsideTransaction?.()) await trx.raw('begin');
              // SQL Server: a COMMIT or ROLLBACK of its own ended it (@@TRANCOUNT 0). Its row is not written —
              // it would autocommit, and knex's COMMIT then fail (3902) — and what the tenant holds is said.
              const how = await askServer?.(trx);
              if (how === 'left open') throw end(leftItsTransactionOpen());
              if (how) throw end(endedItsTransactionStatement(how));
              await record(trx, true);
            })();
            return inside;
          },
          { internal: migration.kind === 'sql' },
        )
        .catch((err: unknown) => {
          throw ended ?? err;
        });
      // knex settles a transaction at a COMMIT the migration runs itself (`trx.commit()`), before the callback
      // has ended: without this, the history write that then fails on the finished transaction went unseen,
      // and the migration was reported applied, unrecorded, to run again next time.
      await inside;
    } catch (err) {
      // Its ROLLBACK then failed on the closed session: the failure is that it was stuck.
      throw bound?.tripped ?? err;
    }
    return;
  }
  // Opted out (CREATE INDEX CONCURRENTLY and friends): statements commit as they go.
  if (overrides) await session.setTimeouts(timeouts);
  try {
    await runWithoutTransaction(session, adapter, migration, () => runBody(session.knex));
    // A BEGIN of its own never committed: its history row, the next migrations and every later step
    // would run inside that transaction, and all be lost when the session ends. Rolled back now, and said.
    if (ownTransactionMayBeOpen(session) && (await session.endStrayTransaction?.()))
      throw new TenantError(
        'TRANSACTION_LEFT_OPEN',
        'left a transaction open (a BEGIN of its own, never committed): it was rolled back, so what ran in that transaction is undone, and it is not recorded as applied',
      );
    // Already committed: it is recorded whatever knex's lock row says.
    await record(session.knex, false);
  } catch (err) {
    // Its session is closed: what runWithoutTransaction would add about it reads a dead session.
    throw bound?.tripped ?? err;
  } finally {
    if (overrides && !bound?.tripped) await session.setTimeouts(own);
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
  const where = historyLocation(session.tenant, opts.history);
  const early = await upToDateWithoutLock(opts, to);
  if (early.details) return { details: early.details };
  const allTables = hasAllHistoryTables(early.existing, where) ? early.existing : undefined;
  return withTenantLock(session, { waitMs: opts.lockWaitMs, signal: opts.signal }, async () => {
    // A new schema tenant's schema is made here, by a migrate, never by opening a session (see
    // TenantSession.ensureSchema); a tenant with nothing to do returned above without this round trip.
    await session.ensureSchema();
    const plan = await planTenant(opts, to, false, allTables);
    assertNoProblems(plan, opts.directory);
    const byName = new Map(opts.migrations.map((m) => [m.name, m]));
    for (const name of plan.adopt)
      await writeChecksum(session.knex, where, name, byName.get(name)!.checksum, 'adopted');

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
        // Without a transaction, runWithoutTransaction has already said what stays applied.
        // A migration that ended dbfleet's transaction itself says what stays (TRANSACTION_ENDED).
        // One stuck (its session closed under it) says what the closed session left.
        const outcome =
          byName.get(name)!.config.transaction &&
          error.code !== 'TRANSACTION_ENDED' &&
          !(err instanceof StuckMigration)
            ? ' — rolled back: nothing of it was applied'
            : '';
        const failure = {
          code: error.code === 'FAILED' ? 'MIGRATION_FAILED' : error.code,
          message: `${name}: ${error.message}${outcome}`,
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
