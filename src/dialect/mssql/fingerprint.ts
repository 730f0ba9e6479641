import type { Knex } from 'knex';
import type { Fingerprint, FingerprintLevel, TableFingerprint } from '../backup-types.js';
import { buildFingerprint, hashOf } from '../fingerprint-hash.js';
import { queryBatch } from './raw-connection.js';
import {
  columnsSql,
  constraintsSql,
  contentHashSql,
  exactRowCountsSql,
  type FingerprintScope,
  indexesSql,
  objectsSql,
  type TableName,
  tablesSql,
} from './sql/fingerprint.js';

type Row = Record<string, unknown>;

export interface CatalogRows {
  tables: Row[];
  columns: Row[];
  indexes: Row[];
  constraints: Row[];
  objects: Row[];
}

const keyOf = (row: Row) => `${String(row.schema_name)}.${String(row.table_name)}`;

/** Catalog values as the hash sees them: booleans and numbers alike whether the driver returned 1 or true. */
function plain(value: unknown): unknown {
  if (value === true) return 1;
  if (value === false) return 0;
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function groupBy(rows: Row[], pick: (row: Row) => unknown[]): Map<string, unknown[][]> {
  const out = new Map<string, unknown[][]>();
  for (const row of rows) {
    const list = out.get(keyOf(row)) ?? [];
    list.push(pick(row).map(plain));
    out.set(keyOf(row), list);
  }
  return out;
}

/** Pure: the fingerprint's structure from catalog rows, plus counts/content per table key when read. */
export function assembleFingerprint(
  level: FingerprintLevel,
  rows: CatalogRows,
  measured: ReadonlyMap<string, { rows: number; content?: string }> = new Map(),
): Fingerprint {
  const columns = groupBy(rows.columns, (r) => [
    r.column_name,
    r.type_name,
    r.max_length,
    r.precision,
    r.scale,
    r.is_nullable,
    r.is_identity,
    r.collation_name,
    r.computed_definition,
    r.default_definition,
  ]);
  const indexes = groupBy(rows.indexes, (r) => [
    r.index_name,
    r.type_desc,
    r.is_unique,
    r.is_primary_key,
    r.is_unique_constraint,
    r.is_disabled,
    r.filter_definition,
    r.column_name,
    r.key_ordinal,
    r.is_descending_key,
    r.is_included_column,
  ]);
  const constraints = groupBy(rows.constraints, (r) => [
    r.constraint_name,
    r.kind,
    r.definition,
    r.is_disabled,
    r.column_name,
    r.referenced,
    r.ordinal,
  ]);
  const tables: Record<string, TableFingerprint> = {};
  for (const table of rows.tables) {
    const key = keyOf(table);
    const entry: TableFingerprint = {
      schema: hashOf([
        plain(table.temporal_type),
        plain(table.is_memory_optimized),
        columns.get(key) ?? [],
        indexes.get(key) ?? [],
        constraints.get(key) ?? [],
      ]),
    };
    const m = measured.get(key);
    if (level !== 'schema' && m) entry.rows = m.rows;
    if (level === 'full' && m?.content !== undefined) entry.content = m.content;
    tables[key] = entry;
  }
  const objects = Object.fromEntries(
    rows.objects.map((o) => [String(o.object_key), hashOf(plain(o.definition))]),
  );
  return buildFingerprint(level, tables, objects);
}

const COUNT_GROUP = 50;

async function measure(
  db: Knex | Knex.Transaction,
  level: FingerprintLevel,
  scope: FingerprintScope,
  tables: TableName[],
): Promise<Map<string, { rows: number; content?: string }>> {
  const out = new Map<string, { rows: number; content?: string }>();
  const key = (t: TableName) => `${t.schema}.${t.name}`;
  if (level === 'counts') {
    for (let i = 0; i < tables.length; i += COUNT_GROUP) {
      const group = tables.slice(i, i + COUNT_GROUP);
      const { rows } = await queryBatch(db, exactRowCountsSql(scope, group), { timeoutMs: 0 });
      for (const row of rows) out.set(key(group[Number(row.i)]!), { rows: Number(row.n) });
    }
  } else if (level === 'full') {
    for (const table of tables) {
      const row = (await queryBatch(db, contentHashSql(scope, table), { timeoutMs: 0 })).rows[0] ?? {};
      out.set(key(table), {
        rows: Number(row.n),
        content: hashOf([String(row.n), String(row.a ?? 0), String(row.b ?? 0)], 32),
      });
    }
  }
  return out;
}

/** The catalog rows behind both the backup fingerprint and the drift shape (schema-shape.ts). */
export async function readMssqlCatalog(
  db: Knex | Knex.Transaction,
  scope: FingerprintScope,
): Promise<CatalogRows> {
  const read = async (sql: string) => (await queryBatch(db, sql)).rows;
  return {
    tables: await read(tablesSql(scope)),
    columns: await read(columnsSql(scope)),
    indexes: await read(indexesSql(scope)),
    constraints: await read(constraintsSql(scope)),
    objects: await read(objectsSql(scope)),
  };
}

/**
 * Fingerprints the session's database, or `scope.database` on the same server. Reading counts and content
 * can take long on big tables, so those requests have no timeout. Not one snapshot: taken while the
 * tenant's users are kept out, as in an upgrade, it describes exactly the backup taken just before it.
 */
export async function fingerprintMssql(
  db: Knex | Knex.Transaction,
  level: FingerprintLevel,
  scope: FingerprintScope,
  withoutIndexes: readonly string[] = [],
): Promise<Fingerprint> {
  const read = await readMssqlCatalog(db, scope);
  // See FingerprintOptions: hashed as if these indexes were not there.
  const without = new Set(withoutIndexes);
  const rows = { ...read, indexes: read.indexes.filter((r) => !without.has(String(r.index_name))) };
  const names = rows.tables.map((t) => ({ schema: String(t.schema_name), name: String(t.table_name) }));
  return assembleFingerprint(level, rows, await measure(db, level, scope, names));
}
