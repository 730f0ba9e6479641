import type { Knex } from 'knex';
import type { Tenant } from '../../inventory/tenant.js';
import { createPinnedKnex } from '../pinned-knex.js';
import { runPinnedTransaction } from '../pinned-transaction.js';
import type { SessionOptions, TenantSession, Timeouts } from '../types.js';
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
  const knex = createPinnedKnex(postgresKnexConfig(tenant, options));
  const lockKey = tenant.schema ?? '';
  let locked = false;

  const setTimeouts = async (t: Timeouts, on: Knex | Knex.Transaction = knex) => {
    // SET LOCAL inside a transaction so a per-migration override ends with it.
    const scope = on.isTransaction ? 'local' : 'session';
    // One round trip: the simple-query protocol takes both statements at once.
    await on.raw(
      `set ${scope} lock_timeout = '${interval(t.lockTimeoutMs)}'; set ${scope} statement_timeout = '${interval(t.statementTimeoutMs)}'`,
    );
  };

  try {
    if (tenant.schema && !options.readOnly) await knex.raw('create schema if not exists ??', [tenant.schema]);
  } catch (err) {
    await knex.destroy().catch(() => {});
    throw err;
  }

  return {
    tenant,
    knex,
    async tryLock(waitMs) {
      if (waitMs <= 0) {
        const res = await knex.raw('select pg_try_advisory_lock(?, hashtext(?)) as ok', [
          LOCK_CLASS,
          lockKey,
        ]);
        locked = res.rows[0].ok === true;
        return locked;
      }
      await knex.raw(`set lock_timeout = '${interval(waitMs)}'`);
      try {
        await knex.raw('select pg_advisory_lock(?, hashtext(?))', [LOCK_CLASS, lockKey]);
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
      await knex.raw('select pg_advisory_unlock(?, hashtext(?))', [LOCK_CLASS, lockKey]);
      locked = false;
    },
    setTimeouts,
    transaction: (fn) => runPinnedTransaction(knex, fn),
    recordMigration: recordPostgresMigration,
    async existingTables(names, schema) {
      const res = await knex.raw(
        "select n from unnest(?::text[]) as n where to_regclass(format('%I.%I', coalesce(?, current_schema()), n)) is not null",
        [names as string[], schema ?? null],
      );
      return new Set((res.rows as { n: string }[]).map((r) => r.n));
    },
    async runScript(sql, on = knex) {
      // The simple-query protocol runs a multi-statement script in one round trip; no bindings involved.
      if (sql.trim() !== '') await on.raw(sql.replace(/\?/g, '\\?'));
    },
    async serverVersion() {
      const res = await knex.raw('show server_version');
      return String(res.rows[0].server_version);
    },
    async close() {
      await knex.destroy();
    },
  };
}
