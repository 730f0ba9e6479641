import type { IndexColumn, IndexSpec, TableInfo } from '../../optimize-types.js';
import { quoteIdent, quoteQualified, quoteString } from '../quote.js';

/** `[schema].[table]`, or `[table]` when the schema is not known. */
export function tableRef(table: Pick<TableInfo, 'schema' | 'name'>): string {
  return table.schema ? quoteQualified(table.schema, table.name) : quoteIdent(table.name);
}

/**
 * ONLINE index operations: SERVERPROPERTY('EngineEdition') 3 (Enterprise, Developer, Evaluation),
 * 5 (Azure SQL Database), 8 (Azure SQL Managed Instance). Standard, Web and Express build offline.
 */
const ONLINE_EDITIONS = new Set([3, 5, 8]);

export interface IndexBuildPlan {
  online: boolean;
  /** Set when the build will block writes to the table. */
  warning?: string;
}

export function planIndexBuild(
  engineEdition: number,
  edition: string,
  indexName: string,
  table: string,
): IndexBuildPlan {
  if (ONLINE_EDITIONS.has(engineEdition)) return { online: true };
  return {
    online: false,
    warning: `${edition} (EngineEdition ${engineEdition}) cannot build indexes online: ${indexName} is built offline and blocks writes to ${table} until it is done`,
  };
}

function keySql(column: IndexColumn): string {
  if (column.kind === 'expression') {
    throw new Error(
      `SQL Server cannot index an expression (${column.sql}): add a persisted computed column and index that column`,
    );
  }
  if (column.nulls) {
    throw new Error(
      `SQL Server has no NULLS ${column.nulls.toUpperCase()} (NULLs sort first in ascending order): remove it from "${column.name}"`,
    );
  }
  return `${quoteIdent(column.name)}${column.order === 'desc' ? ' DESC' : ''}`;
}

export interface CreateIndexOptions {
  online: boolean;
  /**
   * Replace the existing index of the same name on the same table in one operation; with ONLINE = ON
   * the old index serves queries until the new one is ready.
   */
  dropExisting?: boolean;
}

export function createIndexSql(
  spec: IndexSpec,
  table: Pick<TableInfo, 'schema' | 'name'>,
  options: CreateIndexOptions,
): string {
  if (spec.method && !/^(btree|nonclustered)$/i.test(spec.method)) {
    throw new Error(
      `index ${spec.name}: SQL Server has no index method "${spec.method}" (its rowstore indexes are B-trees)`,
    );
  }
  if (spec.columns.length === 0) throw new Error(`index ${spec.name} has no columns`);
  let sql = `CREATE ${spec.unique ? 'UNIQUE ' : ''}NONCLUSTERED INDEX ${quoteIdent(spec.name)} ON ${tableRef(table)} (${spec.columns.map(keySql).join(', ')})`;
  if (spec.include?.length) sql += ` INCLUDE (${spec.include.map(quoteIdent).join(', ')})`;
  if (spec.where) sql += ` WHERE (${spec.where})`;
  const withOptions = [
    ...(options.dropExisting ? ['DROP_EXISTING = ON'] : []),
    ...(options.online ? ['ONLINE = ON'] : []),
  ];
  if (withOptions.length) sql += ` WITH (${withOptions.join(', ')})`;
  return `${sql};`;
}

export function dropIndexSql(name: string, table: Pick<TableInfo, 'schema' | 'name'>): string {
  return `DROP INDEX IF EXISTS ${quoteIdent(name)} ON ${tableRef(table)};`;
}

/** The table (resolved like the server resolves an unqualified name when no schema is given) and its primary key. */
export function describeTableSql(table: string, schema?: string): string {
  const name = schema ? quoteQualified(schema, table) : quoteIdent(table);
  return [
    'SELECT s.name AS schema_name, t.name AS table_name, c.name AS column_name, ic.key_ordinal',
    'FROM sys.tables AS t',
    'JOIN sys.schemas AS s ON s.schema_id = t.schema_id',
    'LEFT JOIN sys.indexes AS i ON i.object_id = t.object_id AND i.is_primary_key = 1',
    'LEFT JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal > 0',
    'LEFT JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id',
    `WHERE t.object_id = OBJECT_ID(${quoteString(name)})`,
    'ORDER BY ic.key_ordinal;',
  ].join('\n');
}

export function readTableInfo(rows: Record<string, unknown>[]): TableInfo | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const primaryKey = rows.filter((r) => r.column_name != null).map((r) => String(r.column_name));
  return { schema: String(first.schema_name), name: String(first.table_name), primaryKey };
}

/** Every index of that name in the schema (SQL Server index names are unique per table, not per schema). */
export function indexInspectionSql(name: string, schema: string): string {
  return [
    'SELECT t.name AS table_name, i.type_desc, i.is_unique, i.is_disabled, i.filter_definition,',
    '  c.name AS column_name, ic.key_ordinal, ic.is_descending_key, ic.is_included_column',
    'FROM sys.indexes AS i',
    'JOIN sys.tables AS t ON t.object_id = i.object_id',
    'JOIN sys.schemas AS s ON s.schema_id = t.schema_id',
    'LEFT JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id',
    'LEFT JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id',
    `WHERE i.name = ${quoteString(name)} AND s.name = ${quoteString(schema)}`,
    'ORDER BY t.name, ic.is_included_column, ic.key_ordinal, c.name;',
  ].join('\n');
}

export interface ExistingIndex {
  table: string;
  type: string;
  unique: boolean;
  disabled: boolean;
  /** As the server stores it, e.g. `([deleted_at] IS NULL)`. */
  filter: string | null;
  keys: { name: string; descending: boolean }[];
  include: string[];
}

const truthy = (value: unknown) => value === true || value === 1 || value === '1';

/** Folds the one-row-per-column result into the index on `preferredTable` (or the first found). */
export function readExistingIndex(
  rows: Record<string, unknown>[],
  preferredTable: string,
): ExistingIndex | undefined {
  const onTable = rows.filter((r) => r.table_name === preferredTable);
  const chosen = onTable.length ? onTable : rows.filter((r) => r.table_name === rows[0]?.table_name);
  const first = chosen[0];
  if (!first) return undefined;
  const columns = chosen.filter((r) => r.column_name != null);
  return {
    table: String(first.table_name),
    type: String(first.type_desc),
    unique: truthy(first.is_unique),
    disabled: truthy(first.is_disabled),
    filter: first.filter_definition == null ? null : String(first.filter_definition),
    keys: columns
      .filter((r) => !truthy(r.is_included_column) && Number(r.key_ordinal) > 0)
      .sort((a, b) => Number(a.key_ordinal) - Number(b.key_ordinal))
      .map((r) => ({ name: String(r.column_name), descending: truthy(r.is_descending_key) })),
    include: columns.filter((r) => truthy(r.is_included_column)).map((r) => String(r.column_name)),
  };
}

/** One canonical text for an index definition: keys in order, included columns sorted (their order is irrelevant). */
export function indexDefinitionText(index: {
  type: string;
  unique: boolean;
  keys: { name: string; descending: boolean }[];
  include: string[];
  filter: string | null;
}): string {
  const keys = index.keys.map((k) => `${quoteIdent(k.name)}${k.descending ? ' DESC' : ''}`).join(', ');
  let text = `${index.unique ? 'UNIQUE ' : ''}${index.type} (${keys})`;
  if (index.include.length) text += ` INCLUDE (${[...index.include].sort().map(quoteIdent).join(', ')})`;
  if (index.filter) text += ` WHERE ${index.filter}`;
  return text;
}

/** The definition `spec` asks for, in the same canonical text; `filter` as the server would store it. */
export function wantedDefinitionText(spec: IndexSpec, filter: string | null): string {
  return indexDefinitionText({
    type: 'NONCLUSTERED',
    unique: spec.unique,
    keys: spec.columns.map((c) => {
      if (c.kind === 'expression') return { name: c.sql, descending: false };
      return { name: c.name, descending: c.order === 'desc' };
    }),
    include: [...(spec.include ?? [])],
    filter,
  });
}

export const PROBE_TABLE = '#dbfleet_index_probe';

/**
 * How the server itself spells a filter predicate (`deleted_at IS NULL` is stored `([deleted_at] IS
 * NULL)`): the filtered index is created on an empty temporary copy of the table's columns and its stored
 * filter read back, so an existing index is compared with what the server would have made of the spec.
 */
export function filterProbeSql(spec: IndexSpec, table: Pick<TableInfo, 'schema' | 'name'>): string {
  if (!spec.where) throw new Error('only a filtered index needs a probe');
  const drop = `IF OBJECT_ID(N'tempdb..${PROBE_TABLE}') IS NOT NULL DROP TABLE ${PROBE_TABLE};`;
  return [
    drop,
    `SELECT TOP (0) * INTO ${PROBE_TABLE} FROM ${tableRef(table)};`,
    `CREATE INDEX [dbfleet_probe] ON ${PROBE_TABLE} (${spec.columns.map(keySql).join(', ')}) WHERE (${spec.where});`,
    `SELECT filter_definition FROM tempdb.sys.indexes WHERE object_id = OBJECT_ID(N'tempdb..${PROBE_TABLE}') AND name = N'dbfleet_probe';`,
    drop,
  ].join('\n');
}

/** Fallback comparison when the probe cannot run: brackets, parentheses, spaces and case ignored. */
export function looseFilter(filter: string): string {
  return filter.replace(/[\s()[\]]/g, '').toLowerCase();
}
