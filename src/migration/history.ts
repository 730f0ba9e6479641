import type { Knex } from 'knex';
import type { HistoryRow, TenantSession } from '../dialect/types.js';
import type { AppliedMigration } from './types.js';

/** knex's own tables, so `knex migrate:list` agrees with dbfleet; plus dbfleet's checksum table. */
export const MIGRATIONS_TABLE = 'knex_migrations';
export const LOCK_TABLE = 'knex_migrations_lock';
export const CHECKSUM_TABLE = 'dbfleet_migration_checksums';

export type ChecksumSource = 'applied' | 'adopted' | 'repaired';

/** A history table, in the tenant's schema when it has one. */
export function table(knex: Knex | Knex.Transaction, name: string, schema?: string) {
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

/** The session's one-query lookup where its dialect has one, else knex's hasTable per name. */
export function tableLookupOf(session: Pick<TenantSession, 'knex' | 'existingTables'>): TableLookup {
  return session.existingTables?.bind(session) ?? hasTableLookup(session.knex);
}

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
  const builders: (Knex.SchemaBuilder | Knex.QueryBuilder)[] = [];
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
 * that exist; an absent table reads as empty. A session that reads its history itself
 * (`readHistoryRows`) is asked first: on PostgreSQL that needs no knex instance.
 */
export async function readHistoryOf(
  session: Pick<TenantSession, 'knex' | 'readHistoryRows' | 'tenant'>,
  existing: ReadonlySet<string>,
): Promise<HistorySnapshot> {
  const schema = session.tenant.schema;
  if (session.readHistoryRows && existing.has(MIGRATIONS_TABLE) && existing.has(CHECKSUM_TABLE)) {
    return foldHistory(
      await session.readHistoryRows({ history: MIGRATIONS_TABLE, checksums: CHECKSUM_TABLE }, schema),
    );
  }
  return readHistory(session.knex, schema, existing);
}

/** `readHistoryOf` with knex's query builder. */
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
      recorded: hasChecksums ? await readChecksums(knex, schema) : new Map(),
    };
  }
  const rows: HistoryRow[] = await table(knex, MIGRATIONS_TABLE, schema)
    .select(knex.raw("'a' as kind"), 'id', 'name', 'batch', knex.raw('null as checksum'))
    .unionAll((q) => {
      q.select(knex.raw("'c'"), knex.raw('null'), 'name', knex.raw('null'), 'checksum').from(CHECKSUM_TABLE);
      if (schema) q.withSchema(schema);
    })
    .orderBy([{ column: 'kind' }, { column: 'id' }]);
  return foldHistory(rows);
}

function foldHistory(rows: readonly HistoryRow[]): HistorySnapshot {
  const applied: AppliedMigration[] = [];
  const recorded = new Map<string, string>();
  for (const r of rows) {
    if (r.kind === 'a') applied.push({ id: Number(r.id), name: r.name, batch: Number(r.batch) });
    else recorded.set(r.name, String(r.checksum));
  }
  return { applied, recorded };
}

export async function readApplied(knex: Knex, schema?: string): Promise<AppliedMigration[]> {
  const rows = await table(knex, MIGRATIONS_TABLE, schema).select('id', 'name', 'batch').orderBy('id');
  return rows.map((r: { id: number | string; name: string; batch: number | string }) => ({
    id: Number(r.id),
    name: r.name,
    batch: Number(r.batch),
  }));
}

/** The recorded checksums; the caller knows the table exists. */
async function readChecksums(knex: Knex | Knex.Transaction, schema?: string): Promise<Map<string, string>> {
  const rows = await table(knex, CHECKSUM_TABLE, schema).select('name', 'checksum');
  return new Map(rows.map((r: { name: string; checksum: string }) => [r.name, r.checksum]));
}
