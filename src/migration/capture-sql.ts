import knexFactory, { type Knex } from 'knex';
import type { Tenant } from '../core/tenant.js';
import { nameClientAsWritten } from '../dialect/knex-settings.js';
import { SILENT_KNEX_LOG } from '../dialect/pinned-knex.js';
import type { DialectAdapter, KnexSettings } from '../dialect/types.js';
import { ANSWERED_EMPTY, NOT_DERIVED } from './derivation-notes.js';
import { type RecordedQuery, recordingClientClass } from './recording-client.js';
import type { Migration } from './types.js';

/**
 * knex's own transaction control — BEGIN, SAVEPOINT, RELEASE, COMMIT, ROLLBACK [TO SAVEPOINT] — in a
 * transactional migration is not what the migration runs: dbfleet opens that transaction itself, and a
 * nested one is a savepoint inside it. The migration's own `knex.raw('begin')` is, and stays; so does
 * knex's BEGIN for a `knex.transaction()` of a migration without a transaction: lint reads the block.
 */
const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release)\b/i;

const dialectClasses = new Map<string, typeof Knex.Client>();

/** knex's client class for a client name ('pg', 'better-sqlite3', 'mssql'), read off an unconnected knex. */
function dialectClientClass(name: string): typeof Knex.Client {
  let known = dialectClasses.get(name);
  if (!known) {
    const probe = knexFactory({ client: name, log: SILENT_KNEX_LOG, useNullAsDefault: true });
    known = probe.client.constructor as typeof Knex.Client;
    dialectClasses.set(name, known);
  }
  return known;
}

/**
 * Derives the SQL a migration would run without touching the database: the migration runs against a
 * knex whose client records every query — its own transactions' too — and answers with empty results
 * (recording-client.ts). It gets what it gets when it runs: a transaction, unless it opted out. Where a
 * migration branches on what it reads (`hasTable`, selects), the SQL shown is the branch an empty
 * database would take — it is labelled as derived, never as exact, and each such read is followed by an
 * `ANSWERED_EMPTY` line. Where the migration throws, the SQL ends with a `NOT_DERIVED` line saying why.
 */
export async function captureMigrationSql(
  adapter: DialectAdapter,
  tenant: Tenant,
  migration: Migration,
  knexSettings?: KnexSettings,
): Promise<string[]> {
  if (migration.sql) return adapter.splitScript(migration.sql.up);
  const config = adapter.knexConfig(tenant, {
    timeouts: { lockTimeoutMs: 0, statementTimeoutMs: 0 },
    ...(knexSettings ? { knex: knexSettings } : {}),
  });
  const statements: string[] = [];
  const clientName = String(config.client);
  // The tenant's knex config as `migrate` builds it, but for the connection and its pool (nothing is
  // connected): every knexfile setting that shapes a migration's knex — how queries compile
  // (useNullAsDefault, wrapIdentifier, …), what reads return (postProcessResponse), what errors say
  // (compileSqlOnError), what it reads off `knex.client.config` (migrations, searchPath) — holds here too.
  const { connection: _connection, pool: _pool, client: _client, log, ...settings } = config;
  const knex: Knex = knexFactory({
    ...settings,
    client: recordingClientClass(dialectClientClass(clientName), clientName, (query) => {
      // In a migration without dbfleet's transaction, knex's control statements are the migration's
      // own `knex.transaction()`: a real block on the tenant (CONCURRENTLY fails in it), so they stay.
      if (query.byKnex && migration.config.transaction && TRANSACTION_CONTROL.test(query.sql)) return;
      statements.push(toNativeSql(knex, query));
      // Which branch the SQL after a read is: the one its empty answer takes.
      if (query.read) statements.push(ANSWERED_EMPTY);
    }),
    log: log ?? SILENT_KNEX_LOG,
  });
  nameClientAsWritten(knex, knexSettings?.client, adapter.renamedKnexClients);
  const ctx = { runScript: async (sql: string) => void statements.push(...adapter.splitScript(sql)) };
  try {
    // As migrator.ts runs it: a transactional migration gets knex's transaction, so its own
    // `transaction()` is a SAVEPOINT and `isTransaction` is true, as on the tenant.
    if (migration.config.transaction) await knex.transaction((trx) => migration.up(trx, ctx));
    else await migration.up(knex, ctx);
  } catch (err) {
    statements.push(`${NOT_DERIVED} ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await knex.destroy().catch(() => {});
  }
  return statements;
}

/**
 * The SQL as the dialect writes it, bindings inlined. A binding knex left `undefined` — SQLite's
 * multi-row insert, with `useNullAsDefault`, where a row lacks a key — is bound as NULL by the driver
 * (better-sqlite3, pg), so it is inlined as NULL; `knex.raw` would refuse it ("Undefined binding(s)").
 */
function toNativeSql(knex: Knex, query: RecordedQuery): string {
  const bindings = (query.bindings ?? []).map((b) => (b === undefined ? null : b));
  return knex.raw(query.sql, bindings as Knex.RawBinding[]).toString();
}
