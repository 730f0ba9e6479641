import type { Knex } from 'knex';
import type { MigrationRecord } from '../types.js';
import { qualifiedTable as qualified } from './identifiers.js';

/**
 * The statement that records one applied migration: knex's lock row held (FOR UPDATE) and checked, the
 * history row inserted, the checksum upserted — one round trip instead of four. The tables are the
 * run's (knex's `tableName`, its `_lock`, the checksums beside them), quoted by `qualifiedTable`. When
 * the lock row is set, the insert selects nothing, the checksum CTE has no row to upsert, and `recorded`
 * is 0.
 * `clock_timestamp()` is the insert's own time, as the value knex sends from the client would be.
 */
export function recordMigrationSql(record: MigrationRecord): { sql: string; bindings: unknown[] } {
  const { tables, schema } = record;
  const lock = record.holdKnexLock
    ? `knex_lock as (select is_locked from ${qualified(schema, tables.lock)} for update),\n`
    : '';
  const unlessLocked = record.holdKnexLock
    ? '\n  where not exists (select 1 from knex_lock where coalesce(is_locked, 0) <> 0)'
    : '';
  const sql = `with ${lock}history as (
  insert into ${qualified(schema, tables.history)} (name, batch, migration_time)
  select cast(? as varchar), cast(? as integer), clock_timestamp()${unlessLocked}
  returning name
), checksum as (
  insert into ${qualified(schema, tables.checksums)} (name, checksum, source, recorded_at)
  select name, cast(? as varchar), 'applied', clock_timestamp() from history
  on conflict (name) do update
    set checksum = excluded.checksum, source = excluded.source, recorded_at = excluded.recorded_at
)
select count(*)::int as recorded from history`;
  return { sql, bindings: [record.name, record.batch, record.checksum] };
}

export async function recordPostgresMigration(
  on: Knex | Knex.Transaction,
  record: MigrationRecord,
): Promise<boolean> {
  const { sql, bindings } = recordMigrationSql(record);
  // `?` inside the identifiers would be taken for bindings: escape them for knex.raw.
  const res = await on.raw(
    sql.replace(/"[^"]*"/g, (id) => id.replace(/\?/g, '\\?')),
    bindings as never,
  );
  return (res as { rows: { recorded: number }[] }).rows[0]?.recorded === 1;
}
