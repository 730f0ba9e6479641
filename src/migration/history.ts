import type { Knex } from 'knex';
import { existingTablesVia } from '../dialect/history-generic.js';
import type { HistoryRow, TenantSession } from '../dialect/types.js';
import { type HistoryLocation, historyTables } from './history-location.js';
import type { AppliedMigration } from './types.js';

export {
  type HistoryLocation,
  type HistoryOptions,
  historyLocation,
  historyTables,
} from './history-location.js';

export type ChecksumSource = 'applied' | 'adopted' | 'repaired';

/** A history table, qualified with the location's schema when it has one. */
export function table(knex: Knex | Knex.Transaction, name: string, schema?: string) {
  return schema ? knex(name).withSchema(schema) : knex(name);
}

function schemaBuilder(knex: Knex | Knex.Transaction, schema?: string) {
  return schema ? knex.schema.withSchema(schema) : knex.schema;
}

export async function historyExists(knex: Knex, where: HistoryLocation): Promise<boolean> {
  return schemaBuilder(knex, where.schema).hasTable(where.history);
}

/** Which of `names` exist (in `schema`, else the current one). */
export type TableLookup = (names: readonly string[], schema?: string) => Promise<ReadonlySet<string>>;

/** The session's lookup (one catalog query on PostgreSQL). */
export function tableLookupOf(session: Pick<TenantSession, 'existingTables'>): TableLookup {
  return (names, schema) => session.existingTables(names, schema);
}

/** Which of the location's history tables exist. */
export function existingHistoryTables(
  lookup: TableLookup,
  where: HistoryLocation,
): Promise<ReadonlySet<string>> {
  return lookup(historyTables(where), where.schema);
}

/** All of the location's tables are in `existing`. */
export function hasAllHistoryTables(
  existing: ReadonlySet<string> | undefined,
  where: HistoryLocation,
): boolean {
  return existing !== undefined && historyTables(where).every((name) => existing.has(name));
}

/**
 * Creates the history tables exactly as knex does (so its CLI keeps working), plus dbfleet's own.
 * The schema is not created: knex does not create `schemaName` either. With `runScript`, the missing
 * tables go to the server as one script: one round trip, not one per statement. `existing` skips the
 * lookup when the caller has just done it.
 */
export async function ensureHistoryTables(
  knex: Knex,
  where: HistoryLocation,
  lookup: TableLookup = (names, schema) => existingTablesVia(knex, names, schema),
  options: { runScript?: (sql: string) => Promise<void>; existing?: ReadonlySet<string> } = {},
): Promise<void> {
  const sb = () => schemaBuilder(knex, where.schema);
  const existing = options.existing ?? (await existingHistoryTables(lookup, where));
  const builders: (Knex.SchemaBuilder | Knex.QueryBuilder)[] = [];
  if (!existing.has(where.history)) {
    builders.push(
      sb().createTable(where.history, (t) => {
        t.increments();
        t.string('name');
        t.integer('batch');
        t.timestamp('migration_time');
      }),
    );
  }
  if (!existing.has(where.lock)) {
    builders.push(
      sb().createTable(where.lock, (t) => {
        t.increments('index').primary();
        t.integer('is_locked');
      }),
    );
    // knex's CLI expects its one row; an existing table has it already (knex put it there).
    builders.push(table(knex, where.lock, where.schema).insert({ is_locked: 0 }));
  }
  if (!existing.has(where.checksums)) {
    builders.push(
      sb().createTable(where.checksums, (t) => {
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
 * Reads knex's history and the checksums: in one round trip (the session's `readHistoryRows`) when both
 * tables exist; otherwise from the one that does, an absent table reading as empty.
 */
export async function readHistoryOf(
  session: Pick<TenantSession, 'knex' | 'readHistoryRows'>,
  where: HistoryLocation,
  existing: ReadonlySet<string>,
): Promise<HistorySnapshot> {
  const hasHistory = existing.has(where.history);
  const hasChecksums = existing.has(where.checksums);
  if (hasHistory && hasChecksums) {
    return foldHistory(
      await session.readHistoryRows({ history: where.history, checksums: where.checksums }, where.schema),
    );
  }
  return {
    applied: hasHistory ? await readApplied(session.knex, where) : [],
    recorded: hasChecksums ? await readChecksums(session.knex, where) : new Map(),
  };
}

/**
 * The history of a tenant whose tables are usually all there: one round trip when they are (the read is
 * the existence check, see `readCompleteHistory`); otherwise which tables exist (`snapshot` unset), for
 * the caller to create them or read what is there.
 */
export async function readHistoryIfComplete(
  session: Pick<TenantSession, 'readCompleteHistory' | 'existingTables'>,
  where: HistoryLocation,
): Promise<{ existing: ReadonlySet<string>; snapshot?: HistorySnapshot }> {
  const rows = await session.readCompleteHistory(where, where.schema);
  if (rows) return { existing: new Set(historyTables(where)), snapshot: foldHistory(rows) };
  return { existing: await existingHistoryTables(tableLookupOf(session), where) };
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

export async function readApplied(
  knex: Knex | Knex.Transaction,
  where: HistoryLocation,
): Promise<AppliedMigration[]> {
  const rows = await table(knex, where.history, where.schema).select('id', 'name', 'batch').orderBy('id');
  return rows.map((r: { id: number | string; name: string; batch: number | string }) => ({
    id: Number(r.id),
    name: r.name,
    batch: Number(r.batch),
  }));
}

/** The recorded checksums; the caller knows the table exists. */
async function readChecksums(
  knex: Knex | Knex.Transaction,
  where: HistoryLocation,
): Promise<Map<string, string>> {
  const rows = await table(knex, where.checksums, where.schema).select('name', 'checksum');
  return new Map(rows.map((r: { name: string; checksum: string }) => [r.name, r.checksum]));
}
