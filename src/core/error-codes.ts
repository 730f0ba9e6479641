/**
 * Every `error.code` dbfleet reports, with what it means. The codes are part of the `--json` contract:
 * scripts branch on them, so a code is never renamed, and a driver's own code (SQLITE_CANTOPEN,
 * ECONNREFUSED, a SQLSTATE) is never one of them — it is mapped to one of these first.
 */
export const ERROR_CODES = {
  // The command as a whole (the top-level `error` of a `--json` document that has no tenants)
  USAGE_ERROR:
    'the command did not start: a usage, configuration, inventory, journal or queue error (exit 2); nothing was changed',

  // Any step
  FAILED: 'an error dbfleet has no more specific code for; the message says what happened',
  INTERRUPTED: 'the run was interrupted (SIGINT/SIGTERM) while this tenant was being worked on',
  NOT_STARTED: 'not started: the failure budget stopped the run, or it was interrupted first',
  JOURNAL_FAILED:
    "the run's journal could not record this tenant's step: the run stopped there, as after a kill (nothing rolled back); `upgrade --resume` finishes it once the journal takes writes",

  // Connections and the server
  UNREACHABLE: 'cannot reach the server, or cannot open the database file',
  HOST_DOWN:
    "not tried (skipped): the tenant's server did not answer this run's last connection attempts; nothing was changed, and `upgrade --resume` tries it again",
  AUTH_FAILED: 'the server refused the login',
  DATABASE_NOT_FOUND: 'the database does not exist, or this login may not open it',
  TOO_MANY_CONNECTIONS: "the server's, role's or database's connection limit is reached",
  SERVER_UNAVAILABLE: 'the server does not accept connections now (starting up, shutting down, in recovery)',
  CONNECTION_LOST: 'the connection dropped mid-work',
  CONNECTION_STALLED: 'the connection stopped answering (no bytes within the stall limit)',
  CONNECT_TIMEOUT: 'connecting took longer than the connect timeout',
  TLS_FAILED: "the server's TLS certificate is not trusted",
  POOLED_CONNECTION:
    'the connection goes through a pooler (PgBouncer) that refuses or drops the settings a dbfleet session starts with: connect to the server directly; nothing was changed',
  CORRUPT: 'the database file is corrupt or is not a database',

  // Locks and timeouts
  LOCKED: "another runner holds this tenant's migration lock",
  LOCK_LOST: "another run took the tenant's migration lock while a restore was running",
  KNEX_LOCKED: "knex's own migration lock row is set (a knex CLI run, or one that crashed)",
  LOCK_TIMEOUT: 'a statement could not get its locks within the lock timeout',
  STATEMENT_TIMEOUT: 'a statement ran longer than the statement timeout and was cancelled',
  TIMEOUT: 'a request ran longer than the request timeout and was cancelled',
  DEADLOCK: 'chosen as a deadlock victim; the transaction was rolled back',
  CANCELLED: 'the request was cancelled',
  STATE_UNKNOWN: "a timed-out request could not be cancelled: the tenant's state needs inspection",

  // Migrations
  MIGRATION_FAILED: 'a migration threw',
  MIGRATION_PROBLEMS: 'the history does not match the migration files (status)',
  MIGRATION_MISSING: 'an applied migration has no file',
  CHECKSUM_MISMATCH: 'an applied migration was edited after it ran',
  OUT_OF_ORDER: 'a pending migration sorts before one already applied',
  INVALID_MIGRATION: 'a pending migration module lacks up or down (knex refuses to run it)',
  NEWER_UPGRADE_APPLIED: 'a later upgrade run changed the tenant: it is rolled back first',
  NEWER_MIGRATIONS_APPLIED:
    'the downs to run are not the newest applied migrations: a later upgrade applied others on top of them',
  TRANSACTION_LEFT_OPEN:
    'user code (a custom optimization, a hook, a check) began a transaction and left it open',
  TRANSACTION_ENDED:
    'a migration committed or rolled back its own transaction: what it committed stays, and it is not recorded as applied',
  NEEDS_NO_TRANSACTION: 'the migration holds a statement that cannot run inside a transaction',
  NOT_TRANSACTIONAL: 'the server refused a statement that cannot run inside a transaction',
  INVALID_INDEX: 'a migration without a transaction left an invalid index behind',
  NO_DOWN: 'a migration to roll back has no down()',
  NOT_APPLIED: 'the rollback target is not applied on this tenant',

  // Optimizations
  OPTIMIZATION_FAILED: 'an optimization threw',
  INVALID_OPTIMIZATION: 'an optimization definition is not valid for this tenant',
  INDEX_CONFLICT: 'an index of that name exists with another definition and was left alone',
  TABLE_NOT_FOUND: 'the table an optimization names does not exist',
  NO_PRIMARY_KEY: 'a cleanup needs a primary key the table lacks',

  // Upgrade runbook
  CHECK_FAILED: 'a smoke check failed',
  HOOK_FAILED:
    'a beforeTenant or afterTenant hook failed; the message names the hook, the cause and where, and what stays of it',
  ROLLBACK_FAILED: 'the upgrade failed and so did its rollback: the tenant needs attention',
  ROLLBACK_MISMATCH: 'after the down migrations the tenant differs from its pre-upgrade fingerprint',

  // Backups
  BACKUP_FAILED: 'no backup was written',
  BACKUP_DIR: 'the backup directory cannot be created',
  BACKUP_DEVICE: 'SQL Server cannot open the backup file on its host',
  BACKUP_PATH_NOT_SHARED: 'SQL Server wrote the backup where dbfleet cannot read it',
  BACKUP_UNSUPPORTED: 'this server or edition cannot be backed up',
  BACKUP_TOOL_FAILED: 'the backup tool (pg_dump) failed',
  BACKUP_EMPTY: 'the backup file is empty',
  BACKUP_MISSING: 'the backup file does not exist',
  BACKUP_TRUNCATED: 'the backup file is shorter than its manifest says',
  BACKUP_SIZE_MISMATCH: 'the backup file has another size than its manifest says',
  BACKUP_CHECKSUM_MISMATCH: "the backup file's sha256 is not its manifest's",
  BACKUP_UNREADABLE: 'the dialect cannot read the backup file',
  BACKUP_INCOMPLETE: 'the backup file lacks tables of its fingerprint',
  BACKUP_WRONG_TENANT: 'the backup belongs to another tenant',
  MANIFEST_INVALID: "the backup's manifest is missing, unreadable or invalid",
  NO_BACKUP: 'no (verified) backup to use',
  BACKUP_GONE:
    "the upgrade run's pre-upgrade backup (its file or manifest) is no longer there: retention (`backup --keep`) or someone deleted it",
  DISK_FULL: 'the backup volume is full',
  PERMISSION_DENIED: 'the database user may not read or change an object',
  RETENTION_FAILED: 'the backup was taken, but removing old backups failed',
  SCRATCH_FAILED:
    "a scratch database for deep verification cannot be created, or cannot be given the shared objects a schema tenant's archive uses",
  INTEGRITY_FAILED: "the restored copy failed the dialect's integrity checks",
  FINGERPRINT_MISMATCH: "the restored copy differs from the backup's fingerprint",
  RESTORE_FAILED: 'restoring the backup failed',
  ROLE_MISSING:
    'the backup names roles (owners, grantees) the server does not have, so it cannot be restored there until they exist',
  RESTORE_REFUSED: 'the backup did not pass its checks, so it was not restored',
  RESTORE_MISMATCH: "the restored tenant differs from the backup's fingerprint",
  RESTORE_UNEXPECTED_OBJECTS:
    'the tenant holds objects (tables, views, types, functions, …) the backup does not',
  RESTORE_UNSUPPORTED: 'this tenant cannot be restored on its own (a schema tenant on SQL Server)',
  TOOL_NOT_FOUND: 'an external tool (pg_dump, pg_restore) is not installed or not configured',
  TOOL_TOO_OLD: 'an external tool is older than the server or the archive',
  TOOL_FAILED: 'an external tool could not be started',
  BAD_PASSWORD: 'the password cannot be passed to the external tools',

  // Queued runs (--queue)
  UNKNOWN_TENANT: "the queue worker's inventory has no tenant of that id, so it refused the job",
  WORKER_LOST: "the queue worker running the tenant was lost, and so were the job's retries",
  NO_WORKER: 'no queue worker took the tenant within the worker wait',
  QUEUE_FAILED: 'the queue lost the job or the worker sent no result',
  WORKER_MIGRATIONS_DIFFER:
    "the queue workers' migrations differ from the coordinator's (a file edited, missing or extra), so they refused the tenant and changed nothing",
  WORKER_OPTIMIZATIONS_DIFFER:
    "the queue workers' optimizations differ from the coordinator's, so they refused the tenant and changed nothing",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
