import type { Knex } from 'knex';
import type { AppliedMigration } from './types.js';

/** knex's own tables, so `knex migrate:list` agrees with dbfleet; plus dbfleet's checksum table. */
export const MIGRATIONS_TABLE = 'knex_migrations';
export const LOCK_TABLE = 'knex_migrations_lock';
export const CHECKSUM_TABLE = 'dbfleet_migration_checksums';

export type ChecksumSource = 'applied' | 'adopted' | 'repaired';

function table(knex: Knex | Knex.Transaction, name: string, schema?: string) {
  return schema ? knex(name).withSchema(schema) : knex(name);
}

function schemaBuilder(knex: Knex | Knex.Transaction, schema?: string) {
  return schema ? knex.schema.withSchema(schema) : knex.schema;
}

export async function historyExists(knex: Knex, schema?: string): Promise<boolean> {
  return schemaBuilder(knex, schema).hasTable(MIGRATIONS_TABLE);
}

/**
 * Which of `names` exist (in `schema`, else the current one). A dialect may answer in one catalog query
 * (`TenantSession.existingTables`); otherwise one `hasTable` each.
 */
export type TableLookup = (names: readonly string[], schema?: string) => Promise<ReadonlySet<string>>;

export function hasTableLookup(knex: Knex): TableLookup {
  return async (names, schema) => {
    const found = new Set<string>();
    for (const name of names) if (await schemaBuilder(knex, schema).hasTable(name)) found.add(name);
    return found;
  };
}

/** Creates the history tables exactly as knex does (so its CLI keeps working), plus dbfleet's own. */
export async function ensureHistoryTables(
  knex: Knex,
  schema?: string,
  lookup: TableLookup = hasTableLookup(knex),
): Promise<void> {
  const sb = () => schemaBuilder(knex, schema);
  const existing = await lookup([MIGRATIONS_TABLE, LOCK_TABLE, CHECKSUM_TABLE], schema);
  if (!existing.has(MIGRATIONS_TABLE)) {
    await sb().createTable(MIGRATIONS_TABLE, (t) => {
      t.increments();
      t.string('name');
      t.integer('batch');
      t.timestamp('migration_time');
    });
  }
  if (!existing.has(LOCK_TABLE)) {
    await sb().createTable(LOCK_TABLE, (t) => {
      t.increments('index').primary();
      t.integer('is_locked');
    });
    // knex's CLI expects its one row; an existing table has it already (knex put it there).
    await table(knex, LOCK_TABLE, schema).insert({ is_locked: 0 });
  }
  if (!existing.has(CHECKSUM_TABLE)) {
    await sb().createTable(CHECKSUM_TABLE, (t) => {
      t.string('name', 255).primary();
      t.string('checksum', 64).notNullable();
      t.string('source', 20).notNullable();
      t.timestamp('recorded_at').notNullable();
    });
  }
}

export async function readApplied(knex: Knex, schema?: string): Promise<AppliedMigration[]> {
  const rows = await table(knex, MIGRATIONS_TABLE, schema).select('id', 'name', 'batch').orderBy('id');
  return rows.map((r: { id: number | string; name: string; batch: number | string }) => ({
    id: Number(r.id),
    name: r.name,
    batch: Number(r.batch),
  }));
}

/**
 * `tableExists`: the caller has just ensured the table (ensureHistoryTables), so the existence check — a
 * catalog query on every tenant — is skipped.
 */
export async function readChecksums(
  knex: Knex,
  schema?: string,
  options: { tableExists?: boolean } = {},
): Promise<Map<string, string>> {
  if (!options.tableExists && !(await schemaBuilder(knex, schema).hasTable(CHECKSUM_TABLE))) return new Map();
  const rows = await table(knex, CHECKSUM_TABLE, schema).select('name', 'checksum');
  return new Map(rows.map((r: { name: string; checksum: string }) => [r.name, r.checksum]));
}

export async function recordApplied(
  trx: Knex | Knex.Transaction,
  schema: string | undefined,
  entry: { name: string; batch: number; checksum: string; staleChecksum?: boolean },
): Promise<void> {
  await table(trx, MIGRATIONS_TABLE, schema).insert({
    name: entry.name,
    batch: entry.batch,
    migration_time: new Date(),
  });
  // A checksum row without its history row is left by `knex migrate:rollback`; only then replace it.
  if (entry.staleChecksum) await writeChecksum(trx, schema, entry.name, entry.checksum, 'applied');
  else
    await table(trx, CHECKSUM_TABLE, schema).insert({
      name: entry.name,
      checksum: entry.checksum,
      source: 'applied',
      recorded_at: new Date(),
    });
}

export async function writeChecksum(
  trx: Knex | Knex.Transaction,
  schema: string | undefined,
  name: string,
  checksum: string,
  source: ChecksumSource,
): Promise<void> {
  // delete + insert rather than an upsert: the same two statements work on every dialect.
  await table(trx, CHECKSUM_TABLE, schema).where({ name }).del();
  await table(trx, CHECKSUM_TABLE, schema).insert({ name, checksum, source, recorded_at: new Date() });
}

export async function removeApplied(
  trx: Knex | Knex.Transaction,
  schema: string | undefined,
  name: string,
): Promise<void> {
  await table(trx, MIGRATIONS_TABLE, schema).where({ name }).del();
  await table(trx, CHECKSUM_TABLE, schema).where({ name }).del();
}

/**
 * Holds knex's lock row for the length of a transaction (SELECT … FOR UPDATE; SQL Server UPDLOCK), so a
 * `knex migrate` started meanwhile waits on it exactly as it would behind another knex. dbfleet never
 * writes `is_locked`: its real lock is the session lock, which cannot outlive a crash. Resolves false
 * when the row says a knex CLI run holds (or a crashed one left) the lock.
 */
export async function holdKnexLockRow(trx: Knex.Transaction, schema?: string): Promise<boolean> {
  const rows: { is_locked: number | string | null }[] = await table(trx, LOCK_TABLE, schema)
    .select('is_locked')
    .forUpdate();
  return rows.every((r) => Number(r.is_locked ?? 0) === 0);
}
