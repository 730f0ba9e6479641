import type { Knex } from 'knex';
import type { IndexColumn, IndexSpec, IndexState, TableInfo } from '../optimize-types.js';

export function q(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

function keySql(column: IndexColumn): string {
  if (column.kind === 'expression') return column.sql;
  if (column.nulls)
    throw new Error('SQLite indexes have no NULLS FIRST/LAST; restrict this optimization to other dialects');
  return column.order ? `${q(column.name)} ${column.order.toUpperCase()}` : q(column.name);
}

/** SQLite builds every index the same way; refuse what it cannot express rather than build something else. */
export function sqliteCreateIndexSql(spec: IndexSpec, table: TableInfo): string {
  if (spec.include?.length)
    throw new Error('SQLite indexes have no INCLUDE columns; restrict this optimization with `dialects`');
  if (spec.method && spec.method !== 'btree') {
    throw new Error(`SQLite has no "${spec.method}" indexes; restrict this optimization with \`dialects\``);
  }
  const where = spec.where ? ` WHERE ${spec.where}` : '';
  return `CREATE ${spec.unique ? 'UNIQUE ' : ''}INDEX ${q(spec.name)} ON ${q(table.name)} (${spec.columns.map(keySql).join(', ')})${where}`;
}

/**
 * sqlite_master keeps an index's CREATE statement as it was written, so two spellings of one index are
 * compared after normalizing: identifier quotes, case and spacing outside string literals, the default
 * ASC, and IF NOT EXISTS do not change what the index is.
 */
export function normalizeSqliteIndexSql(sql: string): string {
  const parts = sql.split(/('(?:[^']|'')*')/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return part;
      return part
        .replace(/["`[\]]/g, '')
        .toLowerCase()
        .replace(/\s+/g, ' ')
        .replace(/\s*([(),])\s*/g, '$1')
        .replace(/ if not exists/g, '')
        .replace(/ asc(?=[,)])/g, '');
    })
    .join('')
    .trim();
}

/** The definition without the index's own name, which is not part of what it is. */
function withoutName(sql: string): string {
  return normalizeSqliteIndexSql(sql).replace(/^(create (?:unique )?index )\S+ on /, '$1on ');
}

export async function inspectSqliteIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<IndexState> {
  const rows = (await db.raw(
    "select tbl_name, sql from sqlite_master where type = 'index' and name = ? collate nocase",
    [spec.name],
  )) as { tbl_name: string; sql: string | null }[];
  const existing = rows[0];
  if (!existing) return { exists: false };
  const wanted = withoutName(sqliteCreateIndexSql(spec, table));
  // Indexes SQLite made itself for UNIQUE/PRIMARY KEY constraints have no SQL: never ours to match.
  const definition = existing.sql ? withoutName(existing.sql) : `(constraint index on ${existing.tbl_name})`;
  return {
    exists: true,
    table: existing.tbl_name,
    valid: true,
    matches: existing.tbl_name.toLowerCase() === table.name.toLowerCase() && definition === wanted,
    definition,
    wanted,
  };
}

/** SQLite's CREATE INDEX is transactional: it either completes or leaves nothing. */
export async function createSqliteIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void> {
  await db.raw(sqliteCreateIndexSql(spec, table));
}

export async function dropSqliteIndex(db: Knex, spec: IndexSpec): Promise<void> {
  await db.raw(`DROP INDEX IF EXISTS ${q(spec.name)}`);
}

/** Drop and create in one transaction: readers see the old index or the new one, never none. */
export async function rebuildSqliteIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void> {
  const sql = sqliteCreateIndexSql(spec, table);
  await db.transaction(async (trx) => {
    await trx.raw(`DROP INDEX IF EXISTS ${q(spec.name)}`);
    await trx.raw(sql);
  });
}
