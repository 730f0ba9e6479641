import type { ConnectionObject } from '../core/tenant.js';
import type { InventorySource } from '../inventory/load.js';

/**
 * knex's `migrations` block (the keys dbfleet reads) plus dbfleet's own. `knex migrate` and dbfleet read
 * the same block, so both see the same folder, table and schema.
 */
export interface MigrationsConfig {
  /** One folder or several (their files are sorted together by name unless `sortDirsSeparately`). */
  directory?: string | readonly string[];
  /** Which file extensions are migrations, as in knex (e.g. `['.js']` beside compiled `.ts`). `.sql` always is. */
  loadExtensions?: readonly string[];
  sortDirsSeparately?: boolean;
  /** History table (default `knex_migrations`). */
  tableName?: string;
  /** Schema of the history table (PostgreSQL, SQL Server). */
  schemaName?: string;
  /** Accepted for knex; dbfleet still reports applied migrations whose file is missing. */
  disableMigrationsListValidation?: boolean;
  /** `knex migrate:make` settings: accepted, not used. */
  extension?: string;
  stub?: string;
  allowOutOfOrder?: boolean;
}

/** A knex `connection`: a URL, a connection object, or a function returning one. */
export type KnexConnection =
  | string
  | ConnectionObject
  | (() => string | ConnectionObject | Promise<string | ConnectionObject>);

/**
 * The fleet configuration a `knexfile.ts` (or `.js`, `.mjs`, `.json`) exports as its default export —
 * dbfleet's keys, knex's keys, or both in one file; or knex's environment-keyed form
 * (`{ development: {…}, production: {…} }`). Relative paths resolve against the file's folder.
 * Durations take `5s`, `500ms`, `2m`. Any other top-level key is refused with a suggestion.
 */
export interface FleetConfig {
  inventory?: InventorySource;
  migrations?: string | MigrationsConfig;
  optimizations?: string | { directory?: string };
  backups?: string | { directory?: string; keep?: number };
  /** A SQLite file path (default `.dbfleet/journal.db`) or a `postgres://` URL. */
  journal?: string;
  concurrency?: number;
  perHost?: number;
  timeouts?: {
    /** PostgreSQL lock_timeout / SQL Server LOCK_TIMEOUT / SQLite busy_timeout per migration session. */
    lock?: string | number;
    /** statement_timeout per migration session (0 = none). */
    statement?: string | number;
    /** How long to wait for another runner's lock on a tenant before skipping it (0 = skip at once). */
    lockWait?: string | number;
    /** Driver request timeout (SQL Server). */
    request?: string | number;
  };
  /** SQL, a list of SQL, or `(knex, { tenant, runId }) => …`: `beforeTenant`, `afterTenant`. */
  hooks?: { beforeTenant?: unknown; afterTenant?: unknown };
  /** A folder of smoke checks, or a list of `{ name, sql }` / `{ name, run(knex, ctx) }`. */
  checks?: unknown;
  /** `{ query, max, interval? }`: hold a host's tenants while `query` returns more than `max`. */
  throttle?: unknown;
  /** knex: `pg`/`postgres`/`postgresql`/`pgnative`, `better-sqlite3`/`sqlite3`, `mssql`. Inventory entries without a dialect take it. */
  client?: string;
  /** knex: inventory entries without a connection take it; a connection object is merged under theirs. */
  connection?: KnexConnection;
  /** knex's other keys (pool, seeds, searchPath, …) are accepted and not used. */
  [key: string]: unknown;
}

/** Typed identity helper for config modules: `export default defineConfig({ … })`. */
export function defineConfig<T extends FleetConfig>(config: T): T {
  return config;
}
