import type { Knex } from 'knex';
import type { ConnectionObject, Tenant } from '../core/tenant.js';
import type { SchemaShape } from './schema-shape.js';

/** What the core may rely on; code outside src/dialect branches on these flags, never on the dialect name. */
export interface DialectCapabilities {
  /** DDL rolls back with the transaction (PostgreSQL, SQLite, SQL Server mostly). */
  transactionalDdl: boolean;
  /** Indexes can be built without blocking writes (PostgreSQL CONCURRENTLY, SQL Server ONLINE). */
  concurrentIndex: boolean;
  /** Tenants may live in a schema of a shared database. */
  schemas: boolean;
  /** Databases are files on this machine rather than on a server. */
  fileBased: boolean;
  /**
   * A read never waits for another session's migration lock or uncommitted writes (PostgreSQL's MVCC),
   * so the history can be checked before taking the lock: an up-to-date tenant costs one read.
   * SQLite's exclusive file lock and SQL Server's locking READ COMMITTED would make that read wait.
   */
  nonBlockingReads: boolean;
}

export interface ParsedConnection {
  connection: ConnectionObject;
  /** The server identity used for per-host caps, without credentials, e.g. `postgres://db1:5432`. */
  host: string;
  /** Database name (or absolute file path for SQLite). */
  database: string;
}

export interface Timeouts {
  /** How long a statement may wait for a lock before it fails (0 = wait forever). */
  lockTimeoutMs: number;
  /** How long one statement may run (0 = no limit). */
  statementTimeoutMs: number;
}

/** One applied migration to record, for `TenantSession.recordMigration`. */
export interface MigrationRecord {
  /** knex's history table, knex's lock table and dbfleet's checksum table (unqualified). */
  tables: { history: string; lock: string; checksums: string };
  schema?: string;
  name: string;
  batch: number;
  checksum: string;
  /**
   * A checksum row without its history row is there (`knex migrate:rollback` leaves one): replace it.
   * A session that upserts the checksum anyway (PostgreSQL) may ignore this.
   */
  staleChecksum?: boolean;
  /** Hold knex's lock row first and record nothing if it is set (a transactional migration's last step). */
  holdKnexLock: boolean;
}

/** One row of the history read: `a` a knex_migrations row, `c` a checksum row. */
export interface HistoryRow {
  kind: 'a' | 'c';
  id: number | string | null;
  name: string;
  batch: number | string | null;
  checksum: string | null;
}

/**
 * The user's own knex settings (from a knexfile) that a migration reads off `knex.client.config` or that
 * change how its queries compile; dbfleet owns the connection and the pool. `client` is kept where it
 * names the tenant's dialect (`'postgresql'` stays `'postgresql'`).
 */
export type KnexSettings = Pick<
  Knex.Config,
  | 'migrations'
  | 'searchPath'
  | 'useNullAsDefault'
  | 'wrapIdentifier'
  | 'postProcessResponse'
  | 'asyncStackTraces'
  | 'compileSqlOnError'
  | 'jsonbSupport'
  | 'defaultDateTimePrecision'
  | 'version'
  | 'pool'
  | 'log'
> & { client?: string };

export interface SessionOptions {
  timeouts: Timeouts;
  /**
   * Which of `timeouts` the run asked for (a flag, the config's `timeouts`, a library option); the others
   * are dbfleet's defaults, which a tenant's own connection setting beats (a knexfile's
   * `statement_timeout` on PostgreSQL). Absent: all of them were asked for.
   */
  askedTimeouts?: Partial<Timeouts>;
  /** The user's knex settings, as knex would apply them to the tenant's knex instance. */
  knex?: KnexSettings;
  /** Driver request timeout (SQL Server); 0 = none. */
  requestTimeoutMs?: number;
  /** For file-based dialects: create the database if it does not exist (demo, restore). */
  create?: boolean;
  /** Read-only commands (status, plan): create nothing (SQLite opens the file read-only). */
  readOnly?: boolean;
}

/**
 * How a migration ended the transaction dbfleet ran it in, as far as the session can tell; 'left open': it
 * did not end it, but a BEGIN TRAN of its own is still open inside it (SQL Server nests them), so the
 * closing COMMIT would only close that one.
 */
export type OwnTransactionEnd = 'committed' | 'rolled back' | 'ended' | 'left open';

/**
 * One pinned connection to one tenant. Every query of a tenant's pipeline goes through `knex` or the
 * session's own methods, all bound to exactly one physical connection, so session locks and session
 * settings hold for the whole pipeline; `close()` destroys it.
 */
export interface TenantSession {
  readonly tenant: Tenant;
  readonly knex: Knex;
  /**
   * The timeouts the session opened with, where they differ from `SessionOptions.timeouts` (a knexfile's
   * `statement_timeout` over dbfleet's default): what a migration's own timeouts fall back to.
   */
  readonly timeouts?: Timeouts;
  /**
   * Takes the tenant's migration lock, a session-level lock that dies with the connection (PostgreSQL
   * advisory lock, SQL Server applock with @LockOwner='Session', SQLite an exclusive file lock).
   * Waits up to `waitMs` (0 = try once), or until `signal` aborts. Resolves false when another session
   * holds it.
   */
  tryLock(waitMs: number, signal?: AbortSignal): Promise<boolean>;
  /**
   * Who holds the lock `tryLock` was refused, for the LOCKED message; undefined where the dialect cannot
   * tell (SQLite's file lock has no owner to ask about).
   */
  describeLockHolder(): Promise<string | undefined>;
  unlock(): Promise<void>;
  /** Applies lock/statement timeouts to the session (or to a transaction when `on` is given). */
  setTimeouts(timeouts: Timeouts, on?: Knex | Knex.Transaction): Promise<void>;
  /** Runs a SQL script (many statements; `GO` batches on SQL Server) on the session or a transaction. */
  runScript(sql: string, on?: Knex | Knex.Transaction): Promise<void>;
  serverVersion(): Promise<string>;
  /**
   * Indexes a failed online build left behind unusable (PostgreSQL's INVALID indexes, qualified names), so
   * a migration without a transaction is never recorded as applied while one it created is left. Dialects
   * whose index builds are all-or-nothing (SQLite; SQL Server, ONLINE or not) have none: `[]`.
   */
  invalidIndexes(): Promise<string[]>;
  /**
   * Whether a schema tenant's schema exists (true for a tenant without one). Opening a session creates
   * nothing: a backup of a tenant whose schema is gone must fail, not back up an empty one it created.
   */
  schemaExists(): Promise<boolean>;
  /**
   * Creates a schema tenant's schema when missing; nothing for other tenants. Only what migrates calls it
   * (a new tenant's first migrate), never backup, verify, restore or the read-only commands.
   */
  ensureSchema(): Promise<void>;
  /**
   * The tenant's structure part by part (`dbfleet drift`), read by the backup fingerprint's catalog
   * queries, without a lock or a write.
   */
  schemaShape(): Promise<SchemaShape>;
  /**
   * Which of these tables exist (in `schema`, else the current one). PostgreSQL asks its catalog once;
   * the others use src/dialect/history-generic.ts.
   */
  existingTables(names: readonly string[], schema?: string): Promise<ReadonlySet<string>>;
  /**
   * Records an applied migration: its knex_migrations row and its checksum, replacing a stale one.
   * Resolves false, recording nothing, when `holdKnexLock` and knex's lock row is set. PostgreSQL does it
   * in one round trip; the others send two to four portable statements (history-generic.ts).
   */
  recordMigration(on: Knex | Knex.Transaction, record: MigrationRecord): Promise<boolean>;
  /**
   * knex_migrations' rows, then the checksum rows, in one query; both tables exist. PostgreSQL's needs no
   * knex instance (a tenant with nothing to do never builds one); the others use history-generic.ts.
   */
  readHistoryRows(tables: { history: string; checksums: string }, schema?: string): Promise<HistoryRow[]>;
  /**
   * `readHistoryRows` for a tenant that may lack some of its history tables: the rows when all three
   * exist, `undefined` when one (or the schema) is missing. PostgreSQL reads without looking first (one
   * round trip for the usual tenant, whose tables exist); the others look, then read (history-generic.ts).
   */
  readCompleteHistory(
    tables: { history: string; lock: string; checksums: string },
    schema?: string,
  ): Promise<HistoryRow[] | undefined>;
  /**
   * Runs `fn` in a transaction on the pinned connection: knex's own `knex.transaction()`, so `trx` is
   * exactly what knex's migrator hands a migration (nested transactions, `batchInsert` and `transacting`
   * become savepoints of it). With `internal` — `fn` never hands `trx` to user code — a session may use a
   * cheaper transaction of its own (see src/dialect/pinned-transaction.ts). Dialects adjust around it
   * where they must (SQLite rebuilds tables to alter them, which needs foreign keys off outside the
   * transaction).
   */
  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>, options?: { internal?: boolean }): Promise<T>;
  /**
   * A short data-changing transaction (a cleanup batch) with no dialect adjustment: SQLite's foreign keys
   * stay on, so cascades fire. Where it can, a session avoids `knex.transaction()`, whose per-call knex
   * instance is garbage that outlives young-generation GCs (see src/dialect/pinned-transaction.ts).
   */
  shortTransaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` (smoke checks) with the session unable to write, and lets it write again afterwards:
   * PostgreSQL's default_transaction_read_only (on knex's extra connections too), SQLite's query_only.
   * SQL Server has no such session setting: there it only runs `fn`.
   */
  readOnly<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Rolls back a transaction user code (a custom optimization, a hook) began on the session's connection
   * and left open, and says whether there was one: every later step would run inside it (a backup failing
   * "SET TRANSACTION ISOLATION LEVEL must be called before any query", a check reading uncommitted rows).
   */
  endStrayTransaction?(): Promise<boolean>;
  /**
   * Whether the session's connection is outside any transaction block now, as the server last said
   * (PostgreSQL's ReadyForQuery status: no round trip). Asked inside a migration's transaction when the
   * migration failed: true means it ended that transaction itself (a COMMIT statement of its own), so what
   * it ran before is committed. Undefined where the driver cannot say (a closed connection); absent on
   * SQL Server, whose driver does not say: see `ownTransactionEnd`.
   */
  outsideTransaction?(): boolean | undefined;
  /**
   * Where `outsideTransaction` is absent (SQL Server): whether the migration that just ran in `on` ended
   * that transaction itself — a COMMIT without a BEGIN TRAN of its own, or a ROLLBACK — asking the server
   * (`SELECT @@TRANCOUNT` on the transaction's connection: one round trip). `failure`: the migration
   * failed, and a transaction the server rolled back on that error (XACT_ABORT) is not counted as ended
   * by it unless what it ran could end it. Undefined: still open as it began, or ended by the server on
   * the failure. Otherwise how it ended it: 'committed' or 'rolled back' where the session can tell, else
   * 'ended'; after a success, 'left open' when a BEGIN TRAN of its own is still open in it.
   */
  ownTransactionEnd?(on: Knex.Transaction, failure?: unknown): Promise<OwnTransactionEnd | undefined>;
  close(): Promise<void>;
}
