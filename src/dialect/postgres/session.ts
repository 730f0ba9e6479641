import type { Knex } from 'knex';
import type { Tenant } from '../../core/tenant.js';
import { afterCreateOf, runAfterCreate } from '../after-create.js';
import { userKnexConfig } from '../knex-settings.js';
import { runPinnedTransaction } from '../pinned-transaction.js';
import type { SessionOptions, TenantSession, Timeouts } from '../types.js';
import { describeAdvisoryLockHolder, LOCK_CLASS, waitForAdvisoryLock } from './advisory-lock.js';
import { isMissingRelation } from './errors.js';
import { quotePostgresIdentifier } from './identifiers.js';
import { INVALID_INDEXES_SQL } from './invalid-indexes.js';
import { CLIENT_KEEPALIVE, connectWithLiveness, livenessStartupOptions } from './liveness-options.js';
import { overflowConnections } from './overflow-connections.js';
import { connectPinned, knexOver, type PinnedConnection } from './pinned-connection.js';
import { readCompleteHistorySql, readHistorySql } from './read-history.js';
import { recordPostgresMigration } from './record-migration.js';
import { readPostgresShape } from './schema-shape.js';
import { explainScriptFailure } from './script-failure.js';
import { applicationNameOf, sessionTimeouts } from './session-settings.js';
import { createStallWatch, type StallWatch } from './stall-watchdog.js';
import { checkStartupSettings, runWithStartupCheck } from './startup-settings-check.js';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The session's timeouts travel as start-up options: a tenant costs no round trip before its real work.
 * The server version is not made up: knex asks it (`select version()`) the first time its client takes
 * the connection, as it does under its own migrator, so `knex.client.version` is the server's ('15.20'),
 * not a placeholder a migration's version branch would believe. Only a tenant that builds a knex instance
 * (one with migrations to run) pays that round trip.
 */
/** knex's names for its PostgreSQL client (`pgnative` needs another driver); the first is dbfleet's own. */
const POSTGRES_CLIENT_NAMES = ['pg', 'postgres', 'postgresql'];

/**
 * knex's `searchPath` from a knexfile, set as knex sets it on each new connection — here as a start-up
 * option, so it costs no round trip (a schema tenant's own search_path is set when the session opens).
 * A string is one schema name, as in knex. Inside `-c`, spaces and backslashes are escaped with a backslash.
 */
function searchPathStartupOption(searchPath: string | readonly string[] | undefined): string {
  if (searchPath === undefined) return '';
  const list = typeof searchPath === 'string' ? [searchPath] : [...searchPath];
  const value = list.map(quotePostgresIdentifier).join(',');
  return `-c search_path=${value.replace(/[\\ ]/g, (c) => `\\${c}`)}`;
}

export function postgresKnexConfig(tenant: Tenant, options: SessionOptions): Knex.Config {
  const { timeouts, connection } = sessionTimeouts(tenant.connection, options);
  const own = typeof connection.options === 'string' ? connection.options : '';
  const startup = [
    own,
    `-c lock_timeout=${Math.max(0, Math.floor(timeouts.lockTimeoutMs))}`,
    `-c statement_timeout=${Math.max(0, Math.floor(timeouts.statementTimeoutMs))}`,
    livenessStartupOptions(tenant.host),
  ];
  const user = userKnexConfig(options.knex, POSTGRES_CLIENT_NAMES);
  const searchPath = tenant.schema ? [tenant.schema, 'public'] : user.searchPath;
  return {
    ...user,
    connection: {
      ...connection,
      application_name: applicationNameOf(connection),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      ...CLIENT_KEEPALIVE,
      options: [...startup, tenant.schema ? '' : searchPathStartupOption(user.searchPath)]
        .filter(Boolean)
        .join(' '),
    },
    ...(searchPath ? { searchPath } : {}),
  };
}

/**
 * knex's extra connections (see overflow-connections.ts) start as the pinned one does, a schema tenant's
 * search_path included (set on the pinned one by a statement, after `create schema`).
 */
function overflowSettings(tenant: Tenant, config: Knex.Config): Record<string, unknown> {
  const settings = config.connection as Record<string, unknown>;
  if (!tenant.schema) return settings;
  const options = [settings.options, searchPathStartupOption([tenant.schema, 'public'])];
  return { ...settings, options: options.filter(Boolean).join(' ') };
}

function interval(ms: number): string {
  return `${Math.max(0, Math.floor(ms))}ms`;
}

/**
 * The tenant's connection, watched for stalls (see stall-watchdog.ts). A connect attempt gets a watch
 * of its own: a server older than 14 refuses the first one (see liveness-options.ts).
 */
async function connectWatched(
  tenant: Tenant,
  options: SessionOptions,
): Promise<{ config: Knex.Config; connection: PinnedConnection; watch: StallWatch; timeouts: Timeouts }> {
  // The timeouts the session starts with (the knexfile's may beat dbfleet's defaults): the watch follows them.
  const { timeouts } = sessionTimeouts(tenant.connection, options);
  return connectWithLiveness(tenant.host, async () => {
    const config = postgresKnexConfig(tenant, options);
    const settings = config.connection as Record<string, unknown>;
    const watch = createStallWatch({ host: String(settings.host), port: Number(settings.port ?? 5432) });
    watch.setStatementTimeout(timeouts.statementTimeoutMs);
    let connection: PinnedConnection;
    try {
      connection = await connectPinned({ ...settings, stream: () => watch.stream() });
    } catch (err) {
      throw watch.connectError(err, CONNECT_TIMEOUT_MS);
    }
    watch.attach(connection);
    return { config, connection, watch, timeouts };
  });
}

export async function openPostgresSession(tenant: Tenant, options: SessionOptions): Promise<TenantSession> {
  const { config, connection, watch, timeouts } = await connectWatched(tenant, options);
  const afterCreate = afterCreateOf(config);
  const query = async <R>(sql: string, values?: unknown[]): Promise<R[]> =>
    (await connection.query(sql, values)).rows as R[];
  // Whether the server applied the start-up timeouts (a pooler may drop them: startup-settings-check.ts),
  // read once before anything could change them — a knexfile's afterCreate, a SET of dbfleet's — and
  // before the session locks the tenant, which every change to it waits for. A read-only pass (status,
  // drift, an up-to-date tenant's history read) never pays the statement.
  let settingsChecked = false;
  const checkSettingsOnce = async () => {
    if (settingsChecked) return;
    await checkStartupSettings(query, timeouts);
    settingsChecked = true;
  };
  if (afterCreate) {
    try {
      await checkSettingsOnce();
      await runAfterCreate(afterCreate, connection);
    } catch (err) {
      await connection.end().catch(() => {});
      throw err;
    }
  }
  // What a migration SET on the session since it opened: replayed on knex's extra connections.
  let timeoutSql: string | undefined;
  // Whether `readOnly` ran once, and is running: from then on an extra connection is told which, so one
  // a smoke check opened never stays read-only for the steps after it.
  let readOnlyUsed = false;
  let readOnly = false;
  const sessionSql = () =>
    readOnlyUsed
      ? [timeoutSql, `${readOnly ? 'set' : 'reset'} default_transaction_read_only${readOnly ? ' = on' : ''}`]
          .filter(Boolean)
          .join('; ')
      : timeoutSql;
  const overflow = overflowConnections(overflowSettings(tenant, config), sessionSql, afterCreate);
  // knex only when something asks for it: a tenant with nothing to do never builds one.
  let knex: Knex | undefined;
  const knexOf = () => (knex ??= knexOver(connection, config, overflow));
  const lockKey = tenant.schema ?? '';
  let locked = false;

  const setTimeouts = async (t: Timeouts, on?: Knex | Knex.Transaction) => {
    await checkSettingsOnce();
    // SET LOCAL inside a transaction so a per-migration override ends with it.
    const scope = on?.isTransaction ? 'local' : 'session';
    // One round trip: the simple-query protocol takes both statements at once.
    const sql = `set ${scope} lock_timeout = '${interval(t.lockTimeoutMs)}'; set ${scope} statement_timeout = '${interval(t.statementTimeoutMs)}'`;
    // The stall watch follows the longest timeout that may be in force (a SET LOCAL outlives its
    // transaction here: a later stall is noticed later, never wrongly).
    watch.setStatementTimeout(t.statementTimeoutMs, sql);
    await (on ? on.raw(sql) : query(sql));
    if (scope === 'session') timeoutSql = sql;
  };

  try {
    if (tenant.schema) {
      // What knex's searchPath would set on every new connection; this one connection is the only one.
      // A missing schema may be named here (PostgreSQL allows it); only ensureSchema() creates it.
      const searchPath = `set search_path to ${quotePostgresIdentifier(tenant.schema)}, "public"`;
      // The read-back of the start-up settings goes with it, no statement more — unless it was read
      // before a knexfile's afterCreate, which may have SET its own since.
      if (settingsChecked) await query(searchPath);
      else await runWithStartupCheck(connection, searchPath, timeouts);
      settingsChecked = true;
    }
  } catch (err) {
    await connection.end().catch(() => {});
    throw err;
  }

  const session: TenantSession = {
    tenant,
    timeouts,
    get knex() {
      return knexOf();
    },
    async tryLock(waitMs, signal) {
      await checkSettingsOnce();
      // Polled, never a blocking pg_advisory_lock: see advisory-lock.ts.
      locked = await waitForAdvisoryLock(query, lockKey, waitMs, signal);
      return locked;
    },
    describeLockHolder: () =>
      describeAdvisoryLockHolder(query, lockKey, applicationNameOf(tenant.connection)),
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
    async readOnly(fn) {
      // Every transaction the session starts from here is READ ONLY: a write fails naming itself.
      await query('set default_transaction_read_only = on');
      readOnlyUsed = true;
      readOnly = true;
      try {
        return await fn();
      } finally {
        readOnly = false;
        await query('reset default_transaction_read_only');
      }
    },
    // pg's public getTransactionStatus(): 'I' idle, 'T' in a transaction block, 'E' in a failed one.
    outsideTransaction: () => connection.getTransactionStatus() === 'I',
    async endStrayTransaction() {
      // Inside a transaction block now() is when it began; outside, this statement's own start.
      const open = await query<{ open: boolean }>(
        'select pg_catalog.now() <> pg_catalog.statement_timestamp() as open',
      ).then(
        (rows) => rows[0]?.open === true,
        (err: unknown) => (err as { code?: unknown }).code === '25P02', // in a failed transaction block
      );
      if (open) await query('rollback');
      return open;
    },
    recordMigration: recordPostgresMigration,
    readHistoryRows: (tables, schema) => query(readHistorySql(tables, schema)),
    async readCompleteHistory(tables, schema) {
      try {
        return await query(readCompleteHistorySql(tables, schema));
      } catch (err) {
        // Outside any transaction, so a failed read leaves nothing to roll back.
        if (isMissingRelation(err)) return undefined;
        throw err;
      }
    },
    async existingTables(names, schema) {
      // No current schema (a search_path naming none that exists) holds no table, as knex's hasTable says;
      // format('%I') of that null failed the read with "null values cannot be formatted as an SQL identifier".
      const rows = await query<{ n: string }>(
        `select n from unnest($1::text[]) as n
          where case when coalesce($2, current_schema()) is null then false
                else to_regclass(format('%I.%I', coalesce($2, current_schema()), n)) is not null end`,
        [names as string[], schema ?? null],
      );
      return new Set(rows.map((r) => r.n));
    },
    async runScript(sql, on) {
      if (sql.trim() === '') return;
      // The simple-query protocol runs a multi-statement script in one round trip; no bindings involved.
      try {
        if (on) await on.raw(sql.replace(/\?/g, '\\?'));
        else await query(sql);
      } catch (err) {
        throw await explainScriptFailure(err, sql);
      }
    },
    schemaShape: () => readPostgresShape(connection, tenant.schema ?? null),
    async schemaExists() {
      if (!tenant.schema) return true;
      const rows = await query('select 1 from pg_namespace where nspname = $1', [tenant.schema]);
      return rows.length > 0;
    },
    async ensureSchema() {
      if (tenant.schema) await query(`create schema if not exists ${quotePostgresIdentifier(tenant.schema)}`);
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
        await Promise.all([connection.end(), overflow.end().catch(() => {})]);
      }
    },
  };
  connections.set(session, connection);
  return session;
}

const connections = new WeakMap<TenantSession, PinnedConnection>();

/**
 * The pinned connection under a PostgreSQL session, for this dialect's own drivers: a backup's snapshot
 * and fingerprint are a handful of catalog statements, sent without building a knex instance for them.
 */
export function pinnedConnectionOf(session: TenantSession): PinnedConnection | undefined {
  return connections.get(session);
}
