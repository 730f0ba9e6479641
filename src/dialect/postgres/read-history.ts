import { qualifiedTable } from './identifiers.js';

/**
 * knex's history rows, then the checksum rows, in one round trip: the same query the history module
 * builds with knex, written out so a tenant with nothing to do needs no knex instance to read it. The
 * tables are the run's (knex's `tableName`, in `schemaName` or the tenant's schema), always quoted.
 */
export function readHistorySql(tables: { history: string; checksums: string }, schema?: string): string {
  return `select 'a' as kind, id, name, batch, null as checksum from ${qualifiedTable(schema, tables.history)}
union all
select 'c', null, name, null, checksum from ${qualifiedTable(schema, tables.checksums)}
order by kind, id`;
}

/**
 * readHistorySql that also names knex's lock table (reading none of its rows), so the query fails with
 * "undefined table" unless all three tables exist: the read is the existence check, in the same round trip.
 */
export function readCompleteHistorySql(
  tables: { history: string; lock: string; checksums: string },
  schema?: string,
): string {
  return `select 'a' as kind, id, name, batch, null as checksum from ${qualifiedTable(schema, tables.history)}
union all
select 'c', null, name, null, checksum from ${qualifiedTable(schema, tables.checksums)}
union all
(select 'l', null, null, null, null from ${qualifiedTable(schema, tables.lock)} limit 0)
order by kind, id`;
}
