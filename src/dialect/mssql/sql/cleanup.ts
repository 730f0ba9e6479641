import type { TableInfo } from '../../optimize-types.js';
import { intLiteral, quoteIdent, quoteQualified, quoteString } from '../quote.js';
import { tableRef } from './index-build.js';

/**
 * Obsolete-data cleanup and statistics. Predicates (`where`) are the optimization author's SQL, passed
 * through; everything else is quoted. SQL meant for `knex.raw` (which rewrites `?` into parameters) has
 * the `?` of dbfleet's own fragments escaped, so only the author's placeholders become parameters.
 */

/**
 * Below 5,000: SQL Server escalates a statement's row locks to a table lock at about 5,000 locks, and a
 * table lock stalls every other writer for the batch's duration.
 */
export const DEFAULT_DELETE_BATCH = 4000;

const forKnex = (fragment: string) => fragment.replace(/\?/g, '\\?');

/** The simplest batch: up to `batchSize` matching rows, whichever the server finds first. */
export function deleteTopSql(
  table: Pick<TableInfo, 'schema' | 'name'>,
  where: string,
  batchSize = DEFAULT_DELETE_BATCH,
): string {
  if (batchSize < 1) throw new Error('the batch size must be at least 1');
  return `DELETE TOP (${intLiteral(batchSize, 'batch size')}) FROM ${tableRef(table)} WHERE (${where});\nSELECT @@ROWCOUNT AS deleted_rows;`;
}

export function countMatchingSql(table: Pick<TableInfo, 'schema' | 'name'>, where: string): string {
  return `SELECT COUNT_BIG(*) AS n FROM ${forKnex(tableRef(table))} WHERE (${where});`;
}

export interface KeyColumnType {
  name: string;
  /** Base system type name (`int`, `nvarchar`, `datetime2`…). */
  type: string;
  maxLength: number;
  precision: number;
  scale: number;
  collation: string | null;
}

/** The key columns' base types, so the keyset cursor can be declared and converted exactly. */
export function keyColumnTypesSql(table: Pick<TableInfo, 'schema' | 'name'>, key: readonly string[]): string {
  return [
    'SELECT c.name AS column_name, ty.name AS type_name, c.max_length, c.precision, c.scale, c.collation_name',
    'FROM sys.columns AS c',
    // 240: CLR types (hierarchyid, geography…) share a system type id; their own id names them.
    'JOIN sys.types AS ty ON ty.user_type_id = CASE WHEN c.system_type_id = 240 THEN c.user_type_id ELSE c.system_type_id END',
    `WHERE c.object_id = OBJECT_ID(${quoteString(tableRef(table))}) AND c.name IN (${key.map(quoteString).join(', ')});`,
  ].join('\n');
}

export function readKeyColumnTypes(rows: Record<string, unknown>[], key: readonly string[]): KeyColumnType[] {
  return key.map((name) => {
    const row = rows.find((r) => r.column_name === name);
    if (!row) throw new Error(`key column ${name} does not exist`);
    return {
      name,
      type: String(row.type_name).toLowerCase(),
      maxLength: Number(row.max_length),
      precision: Number(row.precision),
      scale: Number(row.scale),
      collation: row.collation_name == null ? null : String(row.collation_name),
    };
  });
}

export function columnTypeSql(column: KeyColumnType): string {
  const { type, maxLength, precision, scale } = column;
  let sql = type;
  if (type === 'nvarchar' || type === 'nchar') sql += `(${maxLength === -1 ? 'max' : maxLength / 2})`;
  else if (['varchar', 'char', 'varbinary', 'binary'].includes(type))
    sql += `(${maxLength === -1 ? 'max' : maxLength})`;
  else if (type === 'decimal' || type === 'numeric') sql += `(${precision}, ${scale})`;
  else if (['datetime2', 'time', 'datetimeoffset'].includes(type)) sql += `(${scale})`;
  if (column.collation) {
    if (!/^\w+$/.test(column.collation)) throw new Error(`unexpected collation name ${column.collation}`);
    sql += ` COLLATE ${column.collation}`;
  }
  return sql;
}

/**
 * Conversions to text and back that lose nothing, so a cursor handed out as text resumes exactly where
 * the walk stopped: ISO 8601 for the legacy date types, 17 digits for floats, 0x-hex for binary.
 */
function toText(expression: string, type: string): string {
  const style = ['datetime', 'smalldatetime'].includes(type)
    ? 126
    : ['float', 'real'].includes(type)
      ? 3
      : ['binary', 'varbinary'].includes(type)
        ? 1
        : ['money', 'smallmoney'].includes(type)
          ? 2
          : undefined;
  return `CONVERT(nvarchar(4000), ${expression}${style === undefined ? '' : `, ${style}`})`;
}

function fromText(placeholder: string, column: KeyColumnType): string {
  const style = ['datetime', 'smalldatetime'].includes(column.type)
    ? 126
    : ['binary', 'varbinary'].includes(column.type)
      ? 1
      : undefined;
  return `CONVERT(${columnTypeSql({ ...column, collation: null })}, ${placeholder}${style === undefined ? '' : `, ${style}`})`;
}

/**
 * `(a > x) OR (a = x AND b > y)`: T-SQL has no row-value comparison. For a composite key the leading
 * `a >= x` is repeated outside the OR, so the optimizer can seek on the key instead of scanning.
 * Returns SQL and its bindings, in placeholder order.
 */
function afterCursor(
  columns: KeyColumnType[],
  after: readonly unknown[],
): { sql: string; bindings: unknown[] } {
  const bindings: unknown[] = [];
  const first = columns[0]!;
  const seek = columns.length > 1 ? `${forKnex(quoteIdent(first.name))} >= ${fromText('?', first)} AND ` : '';
  if (seek) bindings.push(after[0]);
  const alternatives = columns.map((column, i) => {
    const terms = columns.slice(0, i).map((prev, j) => {
      bindings.push(after[j]);
      return `${forKnex(quoteIdent(prev.name))} = ${fromText('?', prev)}`;
    });
    bindings.push(after[i]);
    terms.push(`${forKnex(quoteIdent(column.name))} > ${fromText('?', column)}`);
    return `(${terms.join(' AND ')})`;
  });
  const body = alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(' OR ')})`;
  return { sql: seek ? `(${seek}${body})` : body, bindings };
}

export interface KeysetDelete {
  table: Pick<TableInfo, 'schema' | 'name'>;
  key: KeyColumnType[];
  where: string;
  whereBindings: readonly unknown[];
  after?: readonly unknown[];
  limit: number;
}

/**
 * One batch in one statement: the next `limit` matching rows after the cursor in key order (a range seek
 * on the key), deleted through the CTE; the deleted keys go to a table variable typed like the key, whose
 * largest key, as text, is the next cursor.
 */
export function keysetDeleteSql(batch: KeysetDelete): { sql: string; bindings: unknown[] } {
  if (batch.key.length === 0)
    throw new Error('a batched delete needs a key to walk (the table has no primary key)');
  if (batch.after && batch.after.length !== batch.key.length)
    throw new Error('the cursor does not match the key');
  const keys = batch.key.map((k) => forKnex(quoteIdent(k.name)));
  const slots = batch.key.map((_, i) => `[k${i}]`);
  const cursor = batch.after ? afterCursor(batch.key, batch.after) : undefined;
  const sql = [
    `DECLARE @dbfleet_deleted TABLE (${batch.key.map((k, i) => `${slots[i]} ${columnTypeSql(k)}`).join(', ')});`,
    'WITH batch AS (',
    `  SELECT TOP (${intLiteral(batch.limit, 'limit')}) * FROM ${forKnex(tableRef(batch.table))}`,
    `  WHERE (${batch.where})${cursor ? ` AND ${cursor.sql}` : ''}`,
    `  ORDER BY ${keys.join(', ')}`,
    ')',
    `DELETE FROM batch OUTPUT ${keys.map((k) => `deleted.${k}`).join(', ')} INTO @dbfleet_deleted (${slots.join(', ')});`,
    `SELECT (SELECT COUNT(*) FROM @dbfleet_deleted) AS deleted, l.* FROM (SELECT 1 AS one) AS o`,
    `LEFT JOIN (SELECT TOP (1) ${batch.key.map((k, i) => `${toText(slots[i]!, k.type)} AS ${slots[i]}`).join(', ')}`,
    `  FROM @dbfleet_deleted ORDER BY ${slots.map((s) => `${s} DESC`).join(', ')}) AS l ON 1 = 1;`,
  ].join('\n');
  return { sql, bindings: [...batch.whereBindings, ...(cursor?.bindings ?? [])] };
}

export function updateStatisticsSql(
  table: Pick<TableInfo, 'schema' | 'name'>,
  options: { fullScan?: boolean } = {},
): string {
  return `UPDATE STATISTICS ${tableRef(table)}${options.fullScan ? ' WITH FULLSCAN' : ''};`;
}

/**
 * Tables to update statistics on, with whether any of their statistics saw modifications since the last
 * update (or were never updated). `tables` limits the list (names resolved in `schema`, else as the server
 * resolves them); without either, every user table of the database.
 */
export function statisticsCandidatesSql(options: { schema?: string; tables?: readonly string[] }): string {
  const modified = (condition: string) =>
    `SELECT 1 FROM sys.stats AS st CROSS APPLY sys.dm_db_stats_properties(st.object_id, st.stats_id) AS sp WHERE st.object_id = t.object_id AND ${condition}`;
  let filter = '';
  if (options.tables?.length) {
    const ids = options.tables.map(
      (name) =>
        `OBJECT_ID(${quoteString(options.schema ? quoteQualified(options.schema, name) : quoteIdent(name))})`,
    );
    filter = ` AND t.object_id IN (${ids.join(', ')})`;
  } else if (options.schema) {
    filter = ` AND s.name = ${quoteString(options.schema)}`;
  }
  return [
    'SELECT s.name AS schema_name, t.name AS table_name,',
    `  CASE WHEN EXISTS (${modified('sp.modification_counter > 0')})`,
    `    OR NOT EXISTS (${modified('sp.last_updated IS NOT NULL')}) THEN 1 ELSE 0 END AS modified`,
    'FROM sys.tables AS t',
    'JOIN sys.schemas AS s ON s.schema_id = t.schema_id',
    `WHERE t.is_ms_shipped = 0${filter}`,
    'ORDER BY s.name, t.name;',
  ].join('\n');
}
