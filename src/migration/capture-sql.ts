import knexFactory, { type Knex } from 'knex';
import type { Tenant } from '../core/tenant.js';
import { nameClientAsWritten } from '../dialect/knex-settings.js';
import { SILENT_KNEX_LOG } from '../dialect/pinned-knex.js';
import type { DialectAdapter, KnexSettings } from '../dialect/types.js';
import type { Migration } from './types.js';

/**
 * What a driver answers for a query on an empty database, in every driver's shape at once: better-sqlite3
 * and tedious give an array of rows, pg `{ rows, rowCount, command }`. knex's own processResponse then
 * makes of it what the migration gets — `hasTable` false, `first()` undefined, a select `[]` — so a
 * migration that reads before it writes takes the branch an empty database takes. (An aggregate would
 * return a row there; here it returns none.)
 */
function emptyResponse(sql: string): unknown[] {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
  const command = word === 'WITH' || word === 'SHOW' ? 'SELECT' : word;
  return Object.assign([], { rows: [], rowCount: 0, command, recordset: [], rowsAffected: [0] });
}

/**
 * Derives the SQL a migration would run without touching the database: the migration runs against a
 * knex whose driver records every query and answers with empty results. Where a migration branches on
 * what it reads (`hasTable`, selects), the SQL shown is the branch an empty database would take — it is
 * labelled as derived, never as exact.
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
  // The settings that change the SQL knex compiles, as the tenant's own knex has them.
  const { useNullAsDefault, wrapIdentifier, defaultDateTimePrecision, jsonbSupport, version } = config;
  const compiles = { useNullAsDefault, wrapIdentifier, defaultDateTimePrecision, jsonbSupport, version };
  const knex: Knex = knexFactory({
    client: config.client,
    log: config.log ?? SILENT_KNEX_LOG,
    ...Object.fromEntries(Object.entries(compiles).filter(([, value]) => value !== undefined)),
  });
  nameClientAsWritten(knex, knexSettings?.client, adapter.renamedKnexClients);
  const statements: string[] = [];
  const client: Record<string, unknown> = knex.client;
  client.acquireConnection = async () => ({ __fake: true });
  client.releaseConnection = async () => {};
  client._query = async (
    _conn: unknown,
    obj: { sql: string; bindings?: unknown[]; response?: unknown; context?: unknown },
  ) => {
    const toNative = knex.raw(obj.sql, (obj.bindings ?? []) as Knex.RawBinding[]).toString();
    if (!/^(begin|commit|rollback)/i.test(obj.sql.trim())) statements.push(toNative);
    obj.response = emptyResponse(obj.sql);
    // SQLite's insert / update / delete answer from the statement's run info: nothing written.
    obj.context = { lastID: 0, changes: 0 };
    return obj;
  };
  // Keep `?` placeholders: `_query` would otherwise get the driver's `$1` form, which `knex.raw` below
  // cannot bind, so any migration inserting rows with bindings could not be derived.
  client.positionBindings = (sql: string) => sql;
  try {
    await migration.up(knex, { runScript: async (sql) => void statements.push(...adapter.splitScript(sql)) });
  } catch (err) {
    statements.push(`-- could not derive the rest: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await knex.destroy().catch(() => {});
  }
  return statements;
}
