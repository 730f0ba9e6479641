import { UsageError } from '../core/errors.js';
import { DEFAULT_HISTORY_TABLE, type HistoryOptions, historyTableOf } from '../core/history-options.js';
import type { Tenant } from '../core/tenant.js';

export type { HistoryOptions };
export { DEFAULT_HISTORY_TABLE };

/** Where one tenant's history lives: the three tables (unqualified) and the schema that qualifies them. */
export interface HistoryLocation {
  schema?: string;
  history: string;
  lock: string;
  checksums: string;
}

const DEFAULT_CHECKSUM_TABLE = 'dbfleet_migration_checksums';
/** PostgreSQL silently truncates longer identifiers, which would make two names one table. */
const MAX_IDENTIFIER_BYTES = 63;

/** knex's own rule (table-resolver.js `getLockTableName`). */
function lockTableOf(tableName: string): string {
  return `${tableName}_lock`;
}

/**
 * dbfleet's checksum table beside a history table. The default keeps its historical name; a custom
 * history gets its own, so two tableNames in one schema never share checksums.
 */
function checksumTableOf(tableName: string): string {
  return tableName === DEFAULT_HISTORY_TABLE ? DEFAULT_CHECKSUM_TABLE : `${tableName}_dbfleet_checksums`;
}

/**
 * A tenant's history: `schemaName` when set (knex reads it there whatever the search_path), else the
 * tenant's own schema (its knex `schemaName`), else unqualified (found through the search_path).
 */
export function historyLocation(
  tenant: Pick<Tenant, 'schema'>,
  options: HistoryOptions = {},
): HistoryLocation {
  const { table: tableName, schema } = historyTableOf(tenant, options);
  return {
    ...(schema ? { schema } : {}),
    history: tableName,
    lock: lockTableOf(tableName),
    checksums: checksumTableOf(tableName),
  };
}

/** The three tables of a location, in the order the history module creates them. */
export function historyTables(where: HistoryLocation): readonly string[] {
  return [where.history, where.lock, where.checksums];
}

/**
 * Every name PostgreSQL gets from a tableName: the tables and the primary keys knex names explicitly
 * (`<table>_pkey`; a truncated key name can collide with a table, as `<t>_dbfleet_checksums_pkey` cut
 * to 63 bytes is `<t>_dbfleet_checksums` for a 40-byte `<t>`).
 */
function namesFrom(tableName: string): string[] {
  const tables = [tableName, lockTableOf(tableName), checksumTableOf(tableName)];
  return [...tables, ...tables.map((t) => `${t}_pkey`)];
}

function nameProblem(what: string, value: unknown, derived: (name: string) => string[]): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return `${what} must be a non-empty string`;
  // knex turns `a.b` into schema a, table b in some calls and not in others; schemaName is the way.
  if (value.includes('.')) return `${what} "${value}" contains a dot; put the schema in schemaName`;
  // knex takes every `?` for a bind parameter, even inside a quoted name: its own migrator fails too.
  if (value.includes('?')) return `${what} "${value}" contains "?", which knex reads as a bind parameter`;
  if (value.includes('\0')) return `${what} cannot contain a NUL character`;
  const size = (name: string) => Buffer.byteLength(name, 'utf8');
  const longest = derived(value).reduce((a, b) => (size(b) > size(a) ? b : a));
  if (size(longest) <= MAX_IDENTIFIER_BYTES) return undefined;
  const room = MAX_IDENTIFIER_BYTES - (size(longest) - size(value));
  return `${what} "${value}" is ${size(value)} bytes; it makes "${longest}", and PostgreSQL truncates names longer than ${MAX_IDENTIFIER_BYTES} bytes: use at most ${room}`;
}

/** Checks the names (before any tenant is touched): a bad one is a usage error, exit 2. */
export function validateHistoryOptions(options: HistoryOptions | undefined): HistoryOptions {
  if (options === undefined) return {};
  const problems: string[] = [];
  if (options.tableName !== undefined) {
    const problem = nameProblem('migrations.tableName', options.tableName, namesFrom);
    if (problem) problems.push(problem);
  }
  if (options.schemaName !== undefined) {
    const problem = nameProblem('migrations.schemaName', options.schemaName, (name) => [name]);
    if (problem) problems.push(problem);
  }
  if (problems.length) throw new UsageError('invalid migration history table:', problems);
  return options;
}
