import { createHash } from 'node:crypto';

// What the conformance suite compares between a database knex migrated and one dbfleet migrated.

/** Where knex keeps its history: `migrations.tableName` / `schemaName` of the knexfile. */
export interface HistoryLocation {
  tableName: string;
  schemaName?: string;
}

export const DEFAULT_HISTORY: HistoryLocation = { tableName: 'knex_migrations' };

export interface Snapshot {
  /** pg_dump --schema-only, normalized (PostgreSQL); sqlite_master rows (SQLite). */
  schema: string[];
  /** Every index with its validity: pg_dump leaves INVALID indexes out. PostgreSQL only. */
  indexes: string[];
  /** knex's history rows, oldest first; null when the table does not exist. */
  history: { name: string; batch: number }[] | null;
  /** is_locked of each row of knex's lock table; null when it does not exist. */
  lock: number[] | null;
  /** Per data table: row count and a hash of its rows in a stable order. */
  data: Record<string, string>;
}

/** A table's rows as compared: written out when few (so a difference shows them), else hashed. */
export function describeRows(count: number, rows: string): string {
  if (count <= 10) return `${count} rows: ${rows}`;
  return `${count} rows, md5 ${createHash('md5').update(rows).digest('hex')}`;
}

export interface Observation {
  label: string;
  seen: Record<string, unknown>;
  connection: Record<string, unknown>;
}

/**
 * dbfleet keeps its checksums beside knex's history (a table whose name says dbfleet): the one table it
 * adds, left out of every comparison. Observations differ by design (connection details) and are compared
 * apart.
 */
export const isDbfleetTable = (name: string) => name.includes('dbfleet');

export function isComparedTable(name: string, history: HistoryLocation): boolean {
  return (
    !isDbfleetTable(name) &&
    name !== 'observations' &&
    name !== history.tableName &&
    name !== `${history.tableName}_lock`
  );
}

export function parseObservations(
  rows: { label: string; seen: string; connection: string }[],
): Observation[] {
  return rows.map((r) => ({
    label: r.label,
    seen: JSON.parse(r.seen) as Record<string, unknown>,
    connection: JSON.parse(r.connection) as Record<string, unknown>,
  }));
}
