// The PostgreSQL side of the conformance suite: databases for knex and for dbfleet's tenants, and what a
// migrated database looks like (schema dump, index validity, history, data).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { TenantInput } from '../../src/index.js';
import {
  describeRows,
  type HistoryLocation,
  isComparedTable,
  type Observation,
  parseObservations,
  type Snapshot,
} from './conformance-snapshot.js';
import { PG_ADMIN_URL, pgUrl } from './postgres.js';

const run = promisify(execFile);
const admin = new URL(PG_ADMIN_URL);

/**
 * The password both tools are given. The test server trusts local connections, so any password works;
 * a server that needs one gets its own. Either way dbfleet must never hand it to a migration.
 */
export const PG_PASSWORD = decodeURIComponent(admin.password) || 'conformance-pw-5f1c9e';

/** What each corpus knexfile reads (see corpus/connection-from-env.cjs). */
export function postgresKnexEnv(database: string): Record<string, string> {
  return {
    CONFORMANCE_CLIENT: 'pg',
    CONFORMANCE_DATABASE: database,
    CONFORMANCE_PG_HOST: admin.hostname,
    CONFORMANCE_PG_PORT: admin.port || '5432',
    CONFORMANCE_PG_USER: decodeURIComponent(admin.username) || 'postgres',
    CONFORMANCE_PG_PASSWORD: PG_PASSWORD,
  };
}

export function postgresTenant(id: string, database: string): TenantInput {
  const env = postgresKnexEnv(database);
  return {
    id,
    dialect: 'postgres',
    connection: {
      host: env.CONFORMANCE_PG_HOST,
      port: Number(env.CONFORMANCE_PG_PORT),
      user: env.CONFORMANCE_PG_USER,
      password: PG_PASSWORD,
      database,
    },
  };
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Runs `statements` on the admin connection, `width` at a time (CREATE/DROP DATABASE wait on checkpoints). */
export async function onAdmin(statements: string[], width = 6): Promise<void> {
  const queue = [...statements];
  await Promise.all(
    Array.from({ length: Math.min(width, queue.length) }, async () => {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL });
      await client.connect();
      try {
        for (let sql = queue.shift(); sql !== undefined; sql = queue.shift()) await client.query(sql);
      } finally {
        await client.end();
      }
    }),
  );
}

export const createDatabaseSql = (name: string) => `create database ${ident(name)}`;
export const dropDatabaseSql = (name: string) => `drop database if exists ${ident(name)} with (force)`;

async function withDatabase<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgUrl(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function queryIn(database: string, sql: string): Promise<void> {
  return withDatabase(database, async (c) => void (await c.query(sql)));
}

/** pg_dump's schema, one entry per statement, without session settings, comments and dbfleet's table. */
async function dumpSchema(database: string): Promise<string[]> {
  const { stdout } = await run(
    'pg_dump',
    ['--schema-only', '--no-owner', '--no-privileges', '--dbname', pgUrl(database)],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const body = stdout
    .split('\n')
    .filter((line) => !/^(--|SET |SELECT pg_catalog\.set_config|\\)/.test(line))
    .join('\n');
  return body
    .split(/;\n/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '' && !statement.includes('dbfleet'));
}

async function readHistory(client: pg.Client, history: HistoryLocation): Promise<Snapshot['history']> {
  const table = `${ident(history.schemaName ?? 'public')}.${ident(history.tableName)}`;
  const exists = await client.query('select to_regclass($1) is not null as ok', [table]);
  if (!exists.rows[0].ok) return null;
  const rows = await client.query(`select name, batch from ${table} order by id`);
  return rows.rows.map((r) => ({ name: String(r.name), batch: Number(r.batch) }));
}

async function readLock(client: pg.Client, history: HistoryLocation): Promise<Snapshot['lock']> {
  const table = `${ident(history.schemaName ?? 'public')}.${ident(`${history.tableName}_lock`)}`;
  const exists = await client.query('select to_regclass($1) is not null as ok', [table]);
  if (!exists.rows[0].ok) return null;
  const rows = await client.query(`select is_locked from ${table} order by index`);
  return rows.rows.map((r) => Number(r.is_locked));
}

async function readData(client: pg.Client, history: HistoryLocation): Promise<Snapshot['data']> {
  const tables = await client.query<{ schema: string; name: string }>(
    "select table_schema as schema, table_name as name from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2",
  );
  const data: Snapshot['data'] = {};
  for (const { schema, name } of tables.rows) {
    if (!isComparedTable(name, history)) continue;
    const qualified = `${ident(schema)}.${ident(name)}`;
    const { rows } = await client.query(
      `select count(*)::int as n, coalesce(string_agg(t::text, ' | ' order by t::text), '') as r from ${qualified} t`,
    );
    data[`${schema}.${name}`] = describeRows(rows[0].n, rows[0].r);
  }
  return data;
}

export async function postgresSnapshot(database: string, history: HistoryLocation): Promise<Snapshot> {
  const [schema, rest] = await Promise.all([
    dumpSchema(database),
    withDatabase(database, async (client) => {
      const indexes = await client.query<{ name: string; valid: boolean }>(
        "select n.nspname || '.' || c.relname as name, i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and c.relname not like '%dbfleet%' order by 1",
      );
      return {
        indexes: indexes.rows.map((r) => `${r.name}${r.valid ? '' : ' (INVALID)'}`),
        history: await readHistory(client, history),
        lock: await readLock(client, history),
        data: await readData(client, history),
      };
    }),
  ]);
  return { schema, ...rest };
}

export function postgresObservations(database: string): Promise<Observation[]> {
  return withDatabase(database, async (client) => {
    const exists = await client.query("select to_regclass('public.observations') is not null as ok");
    if (!exists.rows[0].ok) return [];
    const { rows } = await client.query('select label, seen, connection from observations order by id');
    return parseObservations(rows);
  });
}
