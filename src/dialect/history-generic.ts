import type { Knex } from 'knex';
import type { HistoryRow, MigrationRecord } from './session-types.js';

/**
 * The history-table members of `TenantSession` written with knex's builders, which compile for every
 * dialect. SQLite and SQL Server implement the members with these; PostgreSQL has one-round-trip
 * versions of its own (see postgres/record-migration.ts, postgres/read-history.ts) that must give the
 * same rows (test/integration/history-generic-postgres.test.ts checks both on one database).
 */

function table(on: Knex | Knex.Transaction, name: string, schema?: string) {
  return schema ? on(name).withSchema(schema) : on(name);
}

/** Which of `names` exist in `schema` (else the current one): one `hasTable` each. */
export async function existingTablesVia(
  knex: Knex,
  names: readonly string[],
  schema?: string,
): Promise<ReadonlySet<string>> {
  const found = new Set<string>();
  for (const name of names) {
    const builder = schema ? knex.schema.withSchema(schema) : knex.schema;
    if (await builder.hasTable(name)) found.add(name);
  }
  return found;
}

/**
 * Holds knex's lock row for the rest of a transaction (SELECT … FOR UPDATE; SQL Server UPDLOCK), so a
 * `knex migrate` started meanwhile waits on it exactly as it would behind another knex. Resolves false
 * when the row says a knex CLI run holds (or a crashed one left) the lock.
 */
export async function holdKnexLockRowVia(
  on: Knex | Knex.Transaction,
  lock: string,
  schema?: string,
): Promise<boolean> {
  const rows: { is_locked: number | string | null }[] = await table(on, lock, schema)
    .select('is_locked')
    .forUpdate();
  return rows.every((r) => Number(r.is_locked ?? 0) === 0);
}

/**
 * Records an applied migration in two to four portable statements: knex's lock row held first when
 * asked (nothing recorded, false, when it is set), the history row, then the checksum — replacing a
 * stale one only when the record says there is one, since a plain insert is one statement fewer.
 */
export async function recordMigrationVia(
  on: Knex | Knex.Transaction,
  record: MigrationRecord,
): Promise<boolean> {
  const { tables, schema } = record;
  if (record.holdKnexLock && !(await holdKnexLockRowVia(on, tables.lock, schema))) return false;
  await table(on, tables.history, schema).insert({
    name: record.name,
    batch: record.batch,
    migration_time: new Date(),
  });
  // delete + insert rather than an upsert: the same two statements work on every dialect.
  if (record.staleChecksum) await table(on, tables.checksums, schema).where({ name: record.name }).del();
  await table(on, tables.checksums, schema).insert({
    name: record.name,
    checksum: record.checksum,
    source: 'applied',
    recorded_at: new Date(),
  });
  return true;
}

/** readHistoryRowsVia when all three history tables exist, else undefined: a lookup, then the read. */
export async function readCompleteHistoryVia(
  knex: Knex,
  tables: { history: string; lock: string; checksums: string },
  schema?: string,
): Promise<HistoryRow[] | undefined> {
  const names = [tables.history, tables.lock, tables.checksums];
  const existing = await existingTablesVia(knex, names, schema);
  if (!names.every((name) => existing.has(name))) return undefined;
  return readHistoryRowsVia(knex, tables, schema);
}

/** knex_migrations' rows, then the checksum rows, in one query (a UNION ALL); both tables exist. */
export async function readHistoryRowsVia(
  knex: Knex,
  tables: { history: string; checksums: string },
  schema?: string,
): Promise<HistoryRow[]> {
  return table(knex, tables.history, schema)
    .select(knex.raw("'a' as kind"), 'id', 'name', 'batch', knex.raw('null as checksum'))
    .unionAll((q) => {
      q.select(knex.raw("'c'"), knex.raw('null'), 'name', knex.raw('null'), 'checksum').from(
        tables.checksums,
      );
      if (schema) q.withSchema(schema);
    })
    .orderBy([{ column: 'kind' }, { column: 'id' }]);
}
