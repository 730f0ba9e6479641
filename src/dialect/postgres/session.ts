import type { Knex } from 'knex';
import type { Tenant } from '../../inventory/tenant.js';
import { runPinnedTransaction } from '../pinned-transaction.js';
import type { SessionOptions, TenantSession, Timeouts } from '../types.js';
import { quotePostgresIdentifier } from './identifiers.js';
import { INVALID_INDEXES_SQL } from './invalid-indexes.js';
import { connectPinned, knexOver } from './pinned-connection.js';
import { readHistorySql } from './read-history.js';
import { recordPostgresMigration } from './record-migration.js';

/** 'dbf1' — the first key of dbfleet's two-key advisory locks, so they never collide with the app's. */
const LOCK_CLASS = 0x64626631;

/**
 * The session's timeouts travel as start-up options, and the server version is given rather than asked
 * (knex would send `select version()` on every new connection; it only needs to know the server is 9.2+,
 * and dbfleet needs 12+ anyway): a tenant costs no round trip before its real work.
 */
export function postgresKnexConfig(tenant: Tenant, options: SessionOptions): Knex.Config {
  const own = typeof tenant.connection.options === 'string' ? tenant.connection.options : '';
  const startup = [
    own,
    `-c lock_timeout=${Math.max(0, Math.floor(options.timeouts.lockTimeoutMs))}`,
    `-c statement_timeout=${Math.max(0, Math.floor(options.timeouts.statementTimeoutMs))}`,
  ];
  return {
    client: 'pg',
    version: '12',
    connection: {
      ...tenant.connection,
      application_name: 'dbfleet',
      connectionTimeoutMillis: 10_000,
      options: startup.filter(Boolean).join(' '),
    },
    ...(tenant.schema ? { searchPath: [tenant.schema, 'public'] } : {}),
  };
}

function interval(ms: number): string {
  return `${Math.max(0, Math.floor(ms))}ms`;
}

export async function openPostgresSession(tenant: Tenant, options: SessionOptions): Promise<TenantSession> {
  const config = postgresKnexConfig(tenant, options);
  const connection = await connectPinned(config.connection as Record<string, unknown>);
  const query = async <R>(sql: string, values?: unknown[]): Promise<R[]> =>
    (await connection.query(sql, values)).rows as R[];
  // knex only when something asks for it: a tenant with nothing to do never builds one.
  let knex: Knex | undefined;
  const knexOf = () => (knex ??= knexOver(connection, config));
  const lockKey = tenant.schema ?? '';
  let locked = false;

  const setTimeouts = async (t: Timeouts, on?: Knex | Knex.Transaction) => {
    // SET LOCAL inside a transaction so a per-migration override ends with it.
    const scope = on?.isTransaction ? 'local' : 'session';
    // One round trip: the simple-query protocol takes both statements at once.
    const sql = `set ${scope} lock_timeout = '${interval(t.lockTimeoutMs)}'; set ${scope} statement_timeout = '${interval(t.statementTimeoutMs)}'`;
    await (on ? on.raw(sql) : query(sql));
  };

  try {
    if (tenant.schema) {
      // What knex's searchPath would set on every new connection; this one connection is the only one.
      const schema = quotePostgresIdentifier(tenant.schema);
      const create = options.readOnly ? '' : `create schema if not exists ${schema}; `;
      await query(`${create}set search_path to ${schema}, "public"`);
    }
  } catch (err) {
    await connection.end().catch(() => {});
    throw err;
  }

  return {
    tenant,
    get knex() {
      return knexOf();
    },
    async tryLock(waitMs) {
      if (waitMs <= 0) {
        const rows = await query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [
          LOCK_CLASS,
          lockKey,
        ]);
        locked = rows[0]?.ok === true;
        return locked;
      }
      await query(`set lock_timeout = '${interval(waitMs)}'`);
      try {
        await query('select pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, lockKey]);
        locked = true;
      } catch (err) {
        if ((err as { code?: string }).code !== '55P03') throw err;
        locked = false;
      } finally {
        await setTimeouts(options.timeouts);
      }
      return locked;
    },
    async unlock() {
      if (!locked) return;
      await query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, lockKey]);
      locked = false;
    },
    setTimeouts,
    // knex's own transaction, exactly what knex's migrator hands a migration; dbfleet's cheaper one where
    // no user code sees `trx` (a .sql migration, a cleanup batch).
    transaction: (fn, opts) =>
      opts?.internal ? runPinnedTransaction(knexOf(), fn) : knexOf().transaction(fn),
    shortTransaction: (fn) => runPinnedTransaction(knexOf(), fn),
    recordMigration: recordPostgresMigration,
    readHistoryRows: (tables, schema) => query(readHistorySql(tables, schema)),
    async existingTables(names, schema) {
      const rows = await query<{ n: string }>(
        "select n from unnest($1::text[]) as n where to_regclass(format('%I.%I', coalesce($2, current_schema()), n)) is not null",
        [names as string[], schema ?? null],
      );
      return new Set(rows.map((r) => r.n));
    },
    async runScript(sql, on) {
      if (sql.trim() === '') return;
      // The simple-query protocol runs a multi-statement script in one round trip; no bindings involved.
      if (on) await on.raw(sql.replace(/\?/g, '\\?'));
      else await query(sql);
    },
    async invalidIndexes() {
      return (await query<{ name: string }>(INVALID_INDEXES_SQL)).map((r) => r.name);
    },
    async serverVersion() {
      const rows = await query<{ server_version: string }>('show server_version');
      return String(rows[0]?.server_version);
    },
    async close() {
      try {
        await knex?.destroy();
      } finally {
        await connection.end();
      }
    },
  };
}
