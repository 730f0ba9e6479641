import { quoteIdent, quoteQualified, quoteString } from '../quote.js';

/**
 * The inputs of a database fingerprint, read from the catalog. `database` reads another database of the
 * same server through three-part names (a scratch restore, from the tenant's own connection: no second
 * connection per tenant), so nothing here calls context-dependent functions such as OBJECT_ID or TYPE_NAME.
 * `schema` limits everything to one schema (schema-per-tenant).
 */
export interface FingerprintScope {
  database?: string;
  schema?: string;
}

function catalog(scope: FingerprintScope): string {
  return scope.database ? `${quoteIdent(scope.database)}.sys.` : 'sys.';
}

function inSchema(scope: FingerprintScope): string {
  return scope.schema ? ` AND s.name = ${quoteString(scope.schema)}` : '';
}

/** User tables: the key of everything else. */
export function tablesSql(scope: FingerprintScope): string {
  const sys = catalog(scope);
  return [
    'SELECT s.name AS schema_name, t.name AS table_name, t.temporal_type, t.is_memory_optimized',
    `FROM ${sys}tables AS t JOIN ${sys}schemas AS s ON s.schema_id = t.schema_id`,
    `WHERE t.is_ms_shipped = 0${inSchema(scope)}`,
    'ORDER BY s.name, t.name;',
  ].join('\n');
}

/** Columns with type, nullability, identity, computed and default definitions, in column order. */
export function columnsSql(scope: FingerprintScope): string {
  const sys = catalog(scope);
  return [
    'SELECT s.name AS schema_name, t.name AS table_name, c.column_id, c.name AS column_name, ty.name AS type_name,',
    '  c.max_length, c.precision, c.scale, c.is_nullable, c.is_identity, c.collation_name,',
    '  cc.definition AS computed_definition, dc.definition AS default_definition',
    `FROM ${sys}columns AS c`,
    `JOIN ${sys}tables AS t ON t.object_id = c.object_id`,
    `JOIN ${sys}schemas AS s ON s.schema_id = t.schema_id`,
    `JOIN ${sys}types AS ty ON ty.user_type_id = c.user_type_id`,
    `LEFT JOIN ${sys}computed_columns AS cc ON cc.object_id = c.object_id AND cc.column_id = c.column_id`,
    `LEFT JOIN ${sys}default_constraints AS dc ON dc.object_id = c.default_object_id`,
    `WHERE t.is_ms_shipped = 0${inSchema(scope)}`,
    'ORDER BY s.name, t.name, c.column_id;',
  ].join('\n');
}

/** Indexes (primary keys and unique constraints included), one row per index column. */
export function indexesSql(scope: FingerprintScope): string {
  const sys = catalog(scope);
  return [
    'SELECT s.name AS schema_name, t.name AS table_name, i.name AS index_name, i.type_desc, i.is_unique,',
    '  i.is_primary_key, i.is_unique_constraint, i.is_disabled, i.filter_definition,',
    '  c.name AS column_name, ic.key_ordinal, ic.is_descending_key, ic.is_included_column',
    `FROM ${sys}indexes AS i`,
    `JOIN ${sys}tables AS t ON t.object_id = i.object_id`,
    `JOIN ${sys}schemas AS s ON s.schema_id = t.schema_id`,
    `LEFT JOIN ${sys}index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id`,
    `LEFT JOIN ${sys}columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id`,
    `WHERE i.type > 0 AND t.is_ms_shipped = 0${inSchema(scope)}`,
    'ORDER BY s.name, t.name, i.name, ic.is_included_column, ic.key_ordinal, c.name;',
  ].join('\n');
}

/** CHECK and FOREIGN KEY constraints (defaults are in columnsSql, keys in indexesSql). */
export function constraintsSql(scope: FingerprintScope): string {
  const sys = catalog(scope);
  return [
    "SELECT s.name AS schema_name, t.name AS table_name, cc.name AS constraint_name, N'CHECK' AS kind,",
    '  cc.definition, cc.is_disabled, NULL AS column_name, NULL AS referenced, NULL AS ordinal',
    `FROM ${sys}check_constraints AS cc`,
    `JOIN ${sys}tables AS t ON t.object_id = cc.parent_object_id`,
    `JOIN ${sys}schemas AS s ON s.schema_id = t.schema_id`,
    `WHERE t.is_ms_shipped = 0${inSchema(scope)}`,
    'UNION ALL',
    "SELECT s.name, t.name, fk.name, N'FOREIGN KEY',",
    "  fk.delete_referential_action_desc + N' ' + fk.update_referential_action_desc, fk.is_disabled,",
    "  pc.name, rs.name + N'.' + rt.name + N'.' + rc.name, fkc.constraint_column_id",
    `FROM ${sys}foreign_keys AS fk`,
    `JOIN ${sys}foreign_key_columns AS fkc ON fkc.constraint_object_id = fk.object_id`,
    `JOIN ${sys}tables AS t ON t.object_id = fk.parent_object_id`,
    `JOIN ${sys}schemas AS s ON s.schema_id = t.schema_id`,
    `JOIN ${sys}columns AS pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id`,
    `JOIN ${sys}tables AS rt ON rt.object_id = fkc.referenced_object_id`,
    `JOIN ${sys}schemas AS rs ON rs.schema_id = rt.schema_id`,
    `JOIN ${sys}columns AS rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id`,
    `WHERE t.is_ms_shipped = 0${inSchema(scope)}`,
    'ORDER BY schema_name, table_name, constraint_name, ordinal;',
  ].join('\n');
}

/** Structure that is not a table: views, procedures, functions, triggers (their text) and user-defined types. */
export function objectsSql(scope: FingerprintScope): string {
  const sys = catalog(scope);
  return [
    "SELECT LOWER(REPLACE(o.type_desc, N'_', N' ')) + N' ' + s.name + N'.' + o.name AS object_key, m.definition",
    `FROM ${sys}sql_modules AS m`,
    `JOIN ${sys}objects AS o ON o.object_id = m.object_id`,
    `JOIN ${sys}schemas AS s ON s.schema_id = o.schema_id`,
    `WHERE o.is_ms_shipped = 0${inSchema(scope)}`,
    'UNION ALL',
    "SELECT N'type ' + s.name + N'.' + ty.name,",
    "  bt.name + N'(' + CAST(ty.max_length AS nvarchar(10)) + N',' + CAST(ty.precision AS nvarchar(10)) + N',' +",
    "  CAST(ty.scale AS nvarchar(10)) + N') ' + CASE WHEN ty.is_nullable = 1 THEN N'NULL' ELSE N'NOT NULL' END +",
    "  CASE WHEN ty.is_table_type = 1 THEN N' TABLE' ELSE N'' END",
    `FROM ${sys}types AS ty`,
    `JOIN ${sys}schemas AS s ON s.schema_id = ty.schema_id`,
    `LEFT JOIN ${sys}types AS bt ON bt.user_type_id = ty.system_type_id`,
    `WHERE ty.is_user_defined = 1${inSchema(scope)}`,
    'ORDER BY object_key;',
  ].join('\n');
}

export interface TableName {
  schema: string;
  name: string;
}

function tableIn(scope: FingerprintScope, table: TableName): string {
  const qualified = quoteQualified(table.schema, table.name);
  return scope.database ? `${quoteIdent(scope.database)}.${qualified}` : qualified;
}

/** Exact counts for a group of tables in one round trip; `i` indexes into `tables`. */
export function exactRowCountsSql(scope: FingerprintScope, tables: readonly TableName[]): string {
  if (tables.length === 0) throw new Error('no tables to count');
  return `${tables.map((t, i) => `SELECT ${i} AS i, COUNT_BIG(*) AS n FROM ${tableIn(scope, t)}`).join('\nUNION ALL\n')};`;
}

/** Catalog row counts (sys.partitions): free, but only as exact as the last committed metadata. */
export function approximateRowCountsSql(scope: FingerprintScope): string {
  const sys = catalog(scope);
  return [
    'SELECT s.name AS schema_name, t.name AS table_name, SUM(p.rows) AS row_count',
    `FROM ${sys}partitions AS p`,
    `JOIN ${sys}tables AS t ON t.object_id = p.object_id`,
    `JOIN ${sys}schemas AS s ON s.schema_id = t.schema_id`,
    `WHERE p.index_id IN (0, 1) AND t.is_ms_shipped = 0${inSchema(scope)}`,
    'GROUP BY s.name, t.name',
    'ORDER BY s.name, t.name;',
  ].join('\n');
}

/**
 * Order-independent content hash of a table: each row serialized as JSON (every column, NULLs included)
 * and hashed with SHA-256; the first two 7-byte slices of the hashes are summed as decimals (7 bytes keep
 * each slice positive as a bigint, decimal(38) cannot overflow; returned as text, since a JavaScript number
 * would round them). One pass, no sort. SQL Server 2016+.
 */
export function contentHashSql(scope: FingerprintScope, table: TableName): string {
  return [
    'SELECT COUNT_BIG(*) AS n,',
    '  CAST(SUM(CAST(CAST(SUBSTRING(h, 1, 7) AS bigint) AS decimal(38, 0))) AS nvarchar(40)) AS a,',
    '  CAST(SUM(CAST(CAST(SUBSTRING(h, 8, 7) AS bigint) AS decimal(38, 0))) AS nvarchar(40)) AS b',
    "FROM (SELECT HASHBYTES('SHA2_256', (SELECT r.* FOR JSON PATH, WITHOUT_ARRAY_WRAPPER, INCLUDE_NULL_VALUES)) AS h",
    `  FROM ${tableIn(scope, table)} AS r) AS x;`,
  ].join('\n');
}
