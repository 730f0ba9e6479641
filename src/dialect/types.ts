import type { Knex } from 'knex';
import type { ErrorInfo } from '../core/errors.js';
import type { ConnectionObject, DialectName, Tenant } from '../core/tenant.js';
import type { BackupDriver } from './backup-types.js';
import type { OptimizerDriver } from './optimize-types.js';
import type {
  DialectCapabilities,
  ParsedConnection,
  SessionOptions,
  TenantSession,
} from './session-types.js';

// The session's own types live in session-types.ts so that the backup and optimizer contracts, which
// use sessions, do not import this file back.
export type * from './session-types.js';

export interface DialectAdapter {
  readonly name: DialectName;
  readonly capabilities: DialectCapabilities;
  /** Validates and normalizes an inventory connection; throws an Error whose message names the problem. */
  parseConnection(input: string | ConnectionObject): ParsedConnection;
  /** knex configuration for one pinned connection to this tenant (pool of exactly one). */
  knexConfig(tenant: Tenant, options: SessionOptions): Knex.Config;
  /**
   * knex's client names for this dialect that `knexConfig` builds under another one (SQLite's `sqlite3`
   * and `sqlite`: dbfleet drives SQLite with better-sqlite3); a knex built for such a knexfile is given
   * the written name back (`nameClientAsWritten`). Empty or absent where every name is built as written.
   */
  readonly renamedKnexClients?: readonly string[];
  open(tenant: Tenant, options: SessionOptions): Promise<TenantSession>;
  /** Splits a script into the units the server executes one at a time (statements or GO batches). */
  splitScript(sql: string): string[];
  /** Maps a driver error to a stable code and an explanation a DBA can act on. */
  classifyError(err: unknown): ErrorInfo | undefined;
  quoteIdentifier(name: string): string;
  /** The rows of a `knex.raw()` result (each driver shapes it differently). */
  rowsOf(result: unknown): Record<string, unknown>[];
  /**
   * Names the server would change or cannot hold (PostgreSQL truncates identifiers to 63 bytes): one
   * sentence per problem, for inventory validation; `[]` where the server takes every name as it is or
   * refuses it itself.
   */
  namingProblems(target: { database: string; schema?: string }): string[];
  /**
   * Server discovery: names of the databases on the server `connection` points at (inventory discovery).
   * A file-based dialect has no server to ask and throws a UsageError (its tenants are found by a glob).
   */
  listDatabases(connection: ConnectionObject): Promise<string[]>;
  /**
   * Checked before a transactional migration runs: a message telling its author to opt out of the
   * transaction when the script holds a statement that cannot run in one, else undefined. SQL Server
   * checks its list (ALTER DATABASE, BACKUP…); PostgreSQL and SQLite answer undefined — they refuse such
   * a statement themselves when it runs, and the migration's transaction rolls back.
   */
  checkTransactionalScript(sql: string): string | undefined;
  /** Index builds, batched cleanup and statistics. */
  optimizer: OptimizerDriver;
  /** Backup, verify and restore. */
  backup: BackupDriver;
}
