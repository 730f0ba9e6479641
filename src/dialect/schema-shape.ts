/**
 * A database's structure, part by part, read by the same catalog queries as the backup fingerprint. The
 * fingerprint keeps only a hash per table (enough to say "not the same"); drift needs the parts to say
 * what differs. Names are relative to the tenant: a schema-per-tenant tenant's own schema is left out,
 * so tenants in different schemas of one database compare equal when their structure is.
 */
export interface ColumnShape {
  name: string;
  /** The type as the catalog spells it (`character varying(100)`, `nvarchar(200)`, `TEXT`). */
  type: string;
  nullable: boolean;
  default: string | null;
  /** What else sets the column apart where the dialect has it: identity, generated expression, collation. */
  extra?: string;
}

export interface IndexShape {
  name: string;
  /** The index as the server describes it (PostgreSQL's CREATE INDEX, SQLite's SQL, SQL Server's parts). */
  definition: string;
  /** False for an index the server does not use: PostgreSQL INVALID, SQL Server disabled. */
  valid: boolean;
}

export interface PartShape {
  name: string;
  definition: string;
}

export interface TableShape {
  /** Table-level settings that are not a part (kind, persistence, partitioning, temporal); never null. */
  properties: Record<string, string>;
  /** In column order: an order difference is drift too (`select *`, `insert` without a column list). */
  columns: ColumnShape[];
  /** The lists below are sorted by name, so catalog order never counts as a difference. */
  indexes: IndexShape[];
  constraints: PartShape[];
  triggers: PartShape[];
  /**
   * The whole CREATE statement where the dialect keeps one (SQLite, whose CHECK constraints live only
   * there): a difference in it is reported only when no part above explains it.
   */
  definition?: string;
}

export interface SchemaShape {
  /** By table key: `schema.table` (the tenant's own schema left out), or the table name (SQLite). */
  tables: Record<string, TableShape>;
  /** Everything that is not a table, by key (`view public.v`, `type public.mood`, `trigger t`) → its text. */
  objects: Record<string, string>;
}

/**
 * A schema tenant's key without its own schema (`acme.users` → `users`, `view acme.v` → `view v`); keys
 * of other schemas stay qualified.
 */
export function relativeKey(key: string, schema: string | null | undefined): string {
  if (!schema) return key;
  const prefix = `${schema}.`;
  if (key.startsWith(prefix)) return key.slice(prefix.length);
  // An object key is `<kind> <schema>.<name>`; kind words hold no dot, so the first match is the name's.
  const at = key.indexOf(` ${prefix}`);
  return at === -1 ? key : key.slice(0, at + 1) + key.slice(at + 1 + prefix.length);
}
