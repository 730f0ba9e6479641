import type { Knex } from 'knex';
import {
  type ColumnShape,
  type PartShape,
  relativeKey,
  type SchemaShape,
  type TableShape,
} from '../schema-shape.js';
import { type CatalogRows, readMssqlCatalog } from './fingerprint.js';

type Row = Record<string, unknown>;

const keyOf = (row: Row) => `${String(row.schema_name)}.${String(row.table_name)}`;
const yes = (value: unknown) => value === true || value === 1;
const text = (value: unknown) => (value === null || value === undefined ? null : String(value));

function rowsByTable(rows: Row[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const row of rows) out.set(keyOf(row), [...(out.get(keyOf(row)) ?? []), row]);
  return out;
}

function rowsByName(rows: Row[], field: string): Row[][] {
  const out = new Map<string, Row[]>();
  for (const row of rows) out.set(String(row[field]), [...(out.get(String(row[field])) ?? []), row]);
  return [...out.values()];
}

/** The type as T-SQL spells it: `nvarchar(200)`, `varchar(max)`, `decimal(10,2)`, `datetime2(7)`. */
export function mssqlTypeName(row: Row): string {
  const type = String(row.type_name);
  const length = Number(row.max_length);
  if (['varchar', 'char', 'varbinary', 'binary'].includes(type))
    return `${type}(${length === -1 ? 'max' : length})`;
  if (['nvarchar', 'nchar'].includes(type)) return `${type}(${length === -1 ? 'max' : length / 2})`;
  if (['decimal', 'numeric'].includes(type)) return `${type}(${row.precision},${row.scale})`;
  if (['datetime2', 'time', 'datetimeoffset'].includes(type)) return `${type}(${row.scale})`;
  return type;
}

function column(row: Row): ColumnShape {
  const extra = [
    yes(row.is_identity) ? 'identity' : undefined,
    row.computed_definition != null ? `as ${String(row.computed_definition)}` : undefined,
    row.collation_name != null ? `collate ${String(row.collation_name)}` : undefined,
  ].filter(Boolean);
  return {
    name: String(row.column_name),
    type: mssqlTypeName(row),
    nullable: yes(row.is_nullable),
    default: text(row.default_definition),
    ...(extra.length ? { extra: extra.join(' ') } : {}),
  };
}

/** One index from its rows (one per column): `NONCLUSTERED UNIQUE (email DESC) INCLUDE (name) WHERE …`. */
function index(rows: Row[]) {
  const first = rows[0]!;
  const keys = rows.filter((r) => r.column_name != null && !yes(r.is_included_column));
  const included = rows.filter((r) => r.column_name != null && yes(r.is_included_column));
  const kind = [
    String(first.type_desc),
    yes(first.is_primary_key) ? 'PRIMARY KEY' : yes(first.is_unique_constraint) ? 'UNIQUE CONSTRAINT' : '',
    yes(first.is_unique) && !yes(first.is_primary_key) && !yes(first.is_unique_constraint) ? 'UNIQUE' : '',
  ].filter(Boolean);
  const cols = keys.map((r) => `${String(r.column_name)}${yes(r.is_descending_key) ? ' DESC' : ''}`);
  const definition = [
    `${kind.join(' ')} (${cols.join(', ')})`,
    included.length ? `INCLUDE (${included.map((r) => String(r.column_name)).join(', ')})` : '',
    first.filter_definition != null ? `WHERE ${String(first.filter_definition)}` : '',
  ].filter(Boolean);
  // A disabled index is kept in the catalog but not maintained or used: SQL Server's unusable index.
  return { name: String(first.index_name), definition: definition.join(' '), valid: !yes(first.is_disabled) };
}

function constraint(rows: Row[], schema: string | null): PartShape {
  const first = rows[0]!;
  const disabled = yes(first.is_disabled) ? ' (disabled)' : '';
  if (first.kind === 'CHECK')
    return {
      name: String(first.constraint_name),
      definition: `CHECK ${String(first.definition)}${disabled}`,
    };
  const referenced = rows.map((r) => String(r.referenced).split('.'));
  const target = relativeKey(referenced[0]!.slice(0, -1).join('.'), schema);
  const [onDelete, onUpdate] = String(first.definition).split(' ');
  return {
    name: String(first.constraint_name),
    definition: `FOREIGN KEY (${rows.map((r) => String(r.column_name)).join(', ')}) REFERENCES ${target} (${referenced.map((r) => r.at(-1)).join(', ')}) ON DELETE ${onDelete} ON UPDATE ${onUpdate}${disabled}`,
  };
}

function table(
  row: Row,
  parts: Record<'columns' | 'indexes' | 'constraints', Row[]>,
  schema: string | null,
): TableShape {
  const properties: Record<string, string> = {};
  if (Number(row.temporal_type) > 0) properties.temporal = String(row.temporal_type);
  if (yes(row.is_memory_optimized)) properties['memory optimized'] = 'yes';
  return {
    properties,
    columns: parts.columns.map(column),
    indexes: rowsByName(parts.indexes, 'index_name').map(index),
    constraints: rowsByName(parts.constraints, 'constraint_name').map((rows) => constraint(rows, schema)),
    // Triggers are modules: they are among the objects (`sql trigger dbo.t`), with their text.
    triggers: [],
  };
}

/** Pure: the shape from the catalog rows; a schema tenant's own `schema` is left out of the keys. */
export function mssqlShape(rows: CatalogRows, schema: string | null): SchemaShape {
  const [columns, indexes, constraints] = [rows.columns, rows.indexes, rows.constraints].map(rowsByTable);
  const tables = rows.tables.map((t) => {
    const key = keyOf(t);
    const parts = {
      columns: columns!.get(key) ?? [],
      indexes: indexes!.get(key) ?? [],
      constraints: constraints!.get(key) ?? [],
    };
    return [relativeKey(key, schema), table(t, parts, schema)] as const;
  });
  return {
    tables: Object.fromEntries(tables),
    objects: Object.fromEntries(
      rows.objects.map((o) => [relativeKey(String(o.object_key), schema), text(o.definition) ?? '']),
    ),
  };
}

export async function readMssqlShape(db: Knex, schema: string | null): Promise<SchemaShape> {
  return mssqlShape(await readMssqlCatalog(db, schema ? { schema } : {}), schema);
}
