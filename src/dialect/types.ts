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
   * sentence per problem, for inventory validation. Absent: every name is taken as it is.
   */
  namingProblems?(target: { database: string; schema?: string }): string[];
  /** Server discovery: names of the databases on the server `connection` points at (for inventory discovery). */
  listDatabases?(connection: ConnectionObject): Promise<string[]>;
  /**
   * For dialects where some statements cannot run in a transaction (SQL Server's ALTER DATABASE, BACKUP…):
   * returns a message telling the migration's author to opt out, or undefined when the script is fine.
   */
  checkTransactionalScript?(sql: string): string | undefined;
  /** Index builds, batched cleanup and statistics (issue 4); absent where not implemented yet. */
  optimizer?: OptimizerDriver;
  /** Backup, verify and restore (issue 3); absent where not implemented yet. */
  backup?: BackupDriver;
}
