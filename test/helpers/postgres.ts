import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test server: PostgreSQL on this machine (trust auth). Override with PG_TEST_URL. */
export const PG_ADMIN_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function pgUrl(database: string, base = PG_ADMIN_URL): string {
  const url = new URL(base);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export async function adminQuery<T = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * A unique prefix per test file, so files running in parallel never share databases. It starts with
 * DBFLEET_TEST_DB_PREFIX (default `t`): on a server other work shares, its databases keep to their own
 * names.
 */
export function uniquePrefix(label: string): string {
  const base = process.env.DBFLEET_TEST_DB_PREFIX ?? 't';
  return `${base}_${label}_${randomBytes(3).toString('hex')}`.toLowerCase();
}

export async function createDatabases(names: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    for (const name of names) await client.query(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** Drops every database whose name starts with `prefix` (terminating lingering sessions first). */
export async function dropDatabases(prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [datname],
      );
      await client.query(`drop database if exists "${datname.replace(/"/g, '""')}"`);
    }
  } finally {
    await client.end();
  }
}

/** Runs one query in one database of the test server (a fresh connection, closed after). */
export async function queryDatabase<T = Record<string, unknown>>(
  database: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: pgUrl(database) });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
