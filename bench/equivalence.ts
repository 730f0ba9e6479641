import pg from 'pg';
import { dbUrl } from './fleet.js';

/**
 * A schema fingerprint of a tenant database: columns, constraints, indexes, views and history rows.
 * dbfleet's own checksum table is left out — it is dbfleet's bookkeeping, not the migrations' work.
 */
export async function schemaFingerprint(database: string): Promise<string> {
  const client = new pg.Client({
    connectionString: dbUrl(database),
    application_name: 'dbfleet-bench-check',
  });
  await client.connect();
  try {
    const skip = ['dbfleet_migration_checksums'];
    const queries: Array<[string, unknown[]?]> = [
      [
        `select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
          where table_schema = 'public' and not table_name = any($1) order by 1, 2`,
        [skip],
      ],
      [
        `select conrelid::regclass::text as t, conname, pg_get_constraintdef(oid) as def from pg_constraint
          where connamespace = 'public'::regnamespace and not conrelid::regclass::text = any($1) order by 1, 2`,
        [skip],
      ],
      [
        `select indexdef from pg_indexes where schemaname = 'public' and not tablename = any($1) order by 1`,
        [skip],
      ],
      [`select viewname, definition from pg_views where schemaname = 'public' order by 1`],
      ['select name, batch from knex_migrations order by id'],
      ['select key, value from app_settings order by key'],
    ];
    const parts: unknown[] = [];
    for (const [sql, params] of queries) parts.push((await client.query(sql, params)).rows);
    return JSON.stringify(parts);
  } finally {
    await client.end();
  }
}
