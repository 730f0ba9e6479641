import type { Knex } from 'knex';
import type { TenantSession } from '../dialect/types.js';
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

/** Every table dbfleet's history lives in. */
export const HISTORY_TABLES = [MIGRATIONS_TABLE, LOCK_TABLE, CHECKSUM_TABLE] as const;

/**
 * Creates the history tables exactly as knex does (so its CLI keeps working), plus dbfleet's own.
 * With `runScript`, the missing tables go to the server as one script: one round trip, not one per
 * statement. `existing` skips the lookup when the caller has just done it.
 */
export async function ensureHistoryTables(
  knex: Knex,
  schema?: string,
  lookup: TableLookup = hasTableLookup(knex),
  options: { runScript?: (sql: string) => Promise<void>; existing?: ReadonlySet<string> } = {},
): Promise<void> {
  const sb = () => schemaBuilder(knex, schema);
  const existing = options.existing ?? (await lookup(HISTORY_TABLES, schema));
  const builders: { toSQL(): { sql: string; bindings: readonly unknown[] }[] | { sql: string } }[] = [];
  if (!existing.has(MIGRATIONS_TABLE)) {
    builders.push(
      sb().createTable(MIGRATIONS_TABLE, (t) => {
        t.increments();
        t.string('name');
        t.integer('batch');
        t.timestamp('migration_time');
      }),
    );
  }
  if (!existing.has(LOCK_TABLE)) {
    builders.push(
      sb().createTable(LOCK_TABLE, (t) => {
        t.increments('index').primary();
        t.integer('is_locked');
      }),
    );
    // knex's CLI expects its one row; an existing table has it already (knex put it there).
    builders.push(table(knex, LOCK_TABLE, schema).insert({ is_locked: 0 }));
  }
  if (!existing.has(CHECKSUM_TABLE)) {
    builders.push(
      sb().createTable(CHECKSUM_TABLE, (t) => {
        t.string('name', 255).primary();
        t.string('checksum', 64).notNullable();
        t.string('source', 20).notNullable();
        t.timestamp('recorded_at').notNullable();
      }),
    );
  }
  if (builders.length === 0) return;
  if (options.runScript) {
    // toString() inlines the only value (is_locked = 0); the DDL has none.
    await options.runScript(builders.map((b) => `${String(b)};`).join('\n'));
    return;
  }
  for (const builder of builders) await builder;
}

/** The history as read in one query: knex's rows, in order, and the recorded checksums. */
export interface HistorySnapshot {
  applied: AppliedMigration[];
  recorded: Map<string, string>;
}

/**
 * Reads knex_migrations and the checksums in one round trip (a UNION ALL), from those of the two tables
 * that exist; an absent table reads as empty.
 */
export async function readHistory(
  knex: Knex | Knex.Transaction,
  schema: string | undefined,
  existing: ReadonlySet<string>,
): Promise<HistorySnapshot> {
  const hasHistory = existing.has(MIGRATIONS_TABLE);
  const hasChecksums = existing.has(CHECKSUM_TABLE);
  if (!hasHistory || !hasChecksums) {
    return {
      applied: hasHistory ? await readApplied(knex, schema) : [],
      recorded: hasChecksums ? await readChecksums(knex, schema, { tableExists: true }) : new Map(),
    };
  }
  const rows: HistoryRow[] = await table(knex, MIGRATIONS_TABLE, schema)
    .select(knex.raw("'a' as kind"), 'id', 'name', 'batch', knex.raw('null as checksum'))
    .unionAll((q) => {
      q.select(knex.raw("'c'"), knex.raw('null'), 'name', knex.raw('null'), 'checksum').from(CHECKSUM_TABLE);
      if (schema) q.withSchema(schema);
    })
    .orderBy([{ column: 'kind' }, { column: 'id' }]);
  const applied: AppliedMigration[] = [];
  const recorded = new Map<string, string>();
  for (const r of rows) {
    if (r.kind === 'a') applied.push({ id: Number(r.id), name: r.name, batch: Number(r.batch) });
    else recorded.set(r.name, String(r.checksum));
  }
  return { applied, recorded };
}

interface HistoryRow {
  kind: 'a' | 'c';
  id: number | string | null;
  name: string;
  batch: number | string | null;
  checksum: string | null;
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

/**
 * Records an applied migration: its knex_migrations row and its checksum. With `holdKnexLock` (the last
 * step of a transactional migration) knex's lock row is held first, and nothing is recorded — false —
 * when it is set. Holding it at the end is as safe as at the start: a `knex migrate` that set the row
 * meanwhile makes this transaction roll back, and one that tries after waits for the commit, then finds
 * the migration recorded. The dialect may do it all in one round trip (`TenantSession.recordMigration`).
 */
export async function recordApplied(
  session: Pick<TenantSession, 'recordMigration'>,
  on: Knex | Knex.Transaction,
  schema: string | undefined,
  entry: { name: string; batch: number; checksum: string; staleChecksum?: boolean; holdKnexLock: boolean },
): Promise<boolean> {
  if (session.recordMigration) {
    const tables = { history: MIGRATIONS_TABLE, lock: LOCK_TABLE, checksums: CHECKSUM_TABLE };
    return session.recordMigration(on, { tables, ...(schema ? { schema } : {}), ...entry });
  }
  if (entry.holdKnexLock && !(await holdKnexLockRow(on, schema))) return false;
  await table(on, MIGRATIONS_TABLE, schema).insert({
    name: entry.name,
    batch: entry.batch,
    migration_time: new Date(),
  });
  // A checksum row without its history row is left by `knex migrate:rollback`; only then replace it.
  if (entry.staleChecksum) await writeChecksum(on, schema, entry.name, entry.checksum, 'applied');
  else
    await table(on, CHECKSUM_TABLE, schema).insert({
      name: entry.name,
      checksum: entry.checksum,
      source: 'applied',
      recorded_at: new Date(),
    });
  return true;
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
 * Holds knex's lock row for the rest of a transaction (SELECT … FOR UPDATE; SQL Server UPDLOCK), so a
 * `knex migrate` started meanwhile waits on it exactly as it would behind another knex. dbfleet never
 * writes `is_locked`: its real lock is the session lock, which cannot outlive a crash. Resolves false
 * when the row says a knex CLI run holds (or a crashed one left) the lock.
 */
export async function holdKnexLockRow(trx: Knex | Knex.Transaction, schema?: string): Promise<boolean> {
  const rows: { is_locked: number | string | null }[] = await table(trx, LOCK_TABLE, schema)
    .select('is_locked')
    .forUpdate();
  return rows.every((r) => Number(r.is_locked ?? 0) === 0);
}
