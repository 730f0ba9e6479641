import type Database from 'better-sqlite3';
import type { ColumnShape, PartShape, SchemaShape, TableShape } from '../schema-shape.js';
import { normalizedSql, readSqliteCatalog, type SqliteTableRows } from './fingerprint.js';

/** pragma table_xinfo's `hidden`: 2 and 3 are generated columns. */
const GENERATED: Record<number, string> = { 2: 'generated virtual', 3: 'generated stored' };

function column([name, type, notNull, dflt, pk, hidden]: unknown[]): ColumnShape {
  const extra = [Number(pk) > 0 ? 'primary key' : undefined, GENERATED[Number(hidden)]].filter(Boolean);
  return {
    name: String(name),
    type: String(type),
    nullable: Number(notNull) === 0,
    default: dflt === null || dflt === undefined ? null : String(dflt),
    ...(extra.length ? { extra: extra.join(' ') } : {}),
  };
}

/** SQLite's foreign keys have no name: one per key, named by its columns (`foreign key (account_id)`). */
function foreignKeys(rows: unknown[][]): PartShape[] {
  const byId = new Map<string, unknown[][]>();
  for (const row of rows) byId.set(String(row[0]), [...(byId.get(String(row[0])) ?? []), row]);
  return [...byId.values()].map((parts) => {
    const [, , table, , , onUpdate, onDelete, match] = parts[0]!;
    const from = parts.map((p) => String(p[3])).join(', ');
    const to = parts.map((p) => (p[4] === null ? '' : String(p[4]))).join(', ');
    return {
      name: `foreign key (${from})`,
      definition: `FOREIGN KEY (${from}) REFERENCES ${String(table)} (${to}) ON UPDATE ${String(onUpdate)} ON DELETE ${String(onDelete)} MATCH ${String(match)}`,
    };
  });
}

function table(t: SqliteTableRows): TableShape {
  return {
    properties: {},
    columns: t.columns.map(column),
    // SQLite builds an index completely or not at all: none is ever left unusable.
    indexes: t.indexes.map(([name, definition]) => ({
      name,
      definition: normalizedSql(definition)!,
      valid: true,
    })),
    constraints: foreignKeys(t.foreignKeys),
    triggers: [],
    ...(t.sql !== null ? { definition: normalizedSql(t.sql)! } : {}),
  };
}

/** Pure: the shape from the catalog rows (triggers stay objects, as in the fingerprint). */
export function sqliteShape(catalog: ReturnType<typeof readSqliteCatalog>): SchemaShape {
  return {
    tables: Object.fromEntries(catalog.tables.map((t) => [t.name, table(t)])),
    objects: Object.fromEntries(
      Object.entries(catalog.objects).map(([key, sql]) => [key, normalizedSql(sql) ?? '']),
    ),
  };
}

export function readSqliteShape(db: Database.Database): SchemaShape {
  return sqliteShape(readSqliteCatalog(db));
}
