import { type LintRuleInfo, LOCK_TIMEOUT_DISABLED } from '../lint-types.js';

/** PostgreSQL's rules, in the spirit of squawk's: what takes a heavy lock or rewrites a table on a live database. */
export const POSTGRES_RULES = {
  indexNotConcurrent: {
    id: 'index-not-concurrent',
    title: 'CREATE INDEX, or a UNIQUE / PRIMARY KEY constraint, on an existing table without CONCURRENTLY',
    why: 'the index is built under a lock that blocks every write to the table (ACCESS EXCLUSIVE, reads too, for a constraint) until the whole index is built',
    safe: 'CREATE INDEX CONCURRENTLY in a migration without a transaction; for a constraint, build the unique index concurrently, then ADD CONSTRAINT … UNIQUE / PRIMARY KEY USING INDEX',
  },
  concurrentlyInTransaction: {
    id: 'concurrently-in-transaction',
    title:
      'CONCURRENTLY in a migration that runs in a transaction (its own BEGIN too), or with other statements in one query string',
    why: "PostgreSQL refuses CREATE / DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY in a transaction block — the migration's, or the one it runs a query string of several statements in: the migration fails on every tenant",
    safe: 'run that migration without a transaction (`-- dbfleet: transaction=false`, or `export const config = { transaction: false }`) and send the concurrent statement alone: the only statement of its .sql file, or its own knex.raw',
  },
  noTransactionBlock: {
    id: 'no-transaction-block',
    title:
      'VACUUM, CREATE / DROP DATABASE or TABLESPACE, ALTER SYSTEM, REINDEX DATABASE / SYSTEM in a migration that runs in a transaction (its own BEGIN too), or with other statements in one query string',
    why: "PostgreSQL refuses these in a transaction block — the migration's, or the one it runs a query string of several statements in: the migration fails on every tenant",
    safe: "run that migration without a transaction and send the statement alone; routine VACUUM / maintenance belongs in an optimization or the server's autovacuum, not a migration",
  },
  commitInTransaction: {
    id: 'commit-in-transaction',
    title:
      'COMMIT, END, ROLLBACK or PREPARE TRANSACTION in a migration that runs in a transaction (a .sql file with its own BEGIN … COMMIT, a knex.raw)',
    why: 'it ends the transaction dbfleet (like knex) runs the migration in: what came before commits on its own, and what follows — the history record too — runs outside any transaction. A failure after it leaves the tenant half-migrated with the migration unrecorded, and running it again fails on what did commit',
    safe: "drop the migration's own BEGIN / COMMIT: each migration already runs in a transaction of its own; if it must commit in steps, run it without one (`-- dbfleet: transaction=false`) and make every step safe to run again",
  },
  beginWithoutCommit: {
    id: 'begin-without-commit',
    title: 'a BEGIN of its own, never committed, in a migration without a transaction',
    why: 'its transaction is still open when the migration ends: dbfleet rolls it back and fails the migration on every tenant (TRANSACTION_LEFT_OPEN) — under knex its history row and whatever ran next would sit in that transaction, lost when the connection closes',
    safe: 'end what it begins with a COMMIT, or drop its own BEGIN and let dbfleet run the migration in a transaction',
  },
  addColumnNotNull: {
    id: 'add-column-not-null',
    title: 'ADD COLUMN … NOT NULL without a default',
    why: 'fails on every tenant whose table has rows (they would hold NULL); it passes only where the table is empty',
    safe: 'give the column a constant DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, backfill in batches, then make it NOT NULL as set-not-null says',
  },
  addColumnVolatileDefault: {
    id: 'add-column-volatile-default',
    title:
      'ADD COLUMN whose value is computed per row: volatile default, serial, identity or generated column',
    why: 'PostgreSQL rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock to fill the column: reads and writes wait for the rewrite',
    safe: 'add the column with no default (or a constant or stable one such as now()), then SET DEFAULT in a separate statement and backfill existing rows in batches',
  },
  alterColumnType: {
    id: 'alter-column-type',
    title: 'ALTER COLUMN … TYPE that rewrites the table',
    why: 'a type change that is not binary-coercible rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock',
    safe: 'only widen (varchar(n) → varchar(m ≥ n) or text, numeric precision up): no rewrite; otherwise add a new column, backfill it in batches, switch the app, drop the old one',
  },
  constraintMissingNotValid: {
    id: 'constraint-missing-not-valid',
    title:
      'ADD CONSTRAINT FOREIGN KEY / CHECK without NOT VALID, or ADD COLUMN with its own CHECK (or REFERENCES and a default), on an existing table',
    why: 'every existing row is checked while a lock blocks writes (both tables for a foreign key): the longer the table, the longer the app waits',
    safe: 'ADD CONSTRAINT … NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT … in a later migration (its lock lets reads and writes go on); for a new column, add it without the constraint first',
  },
  setNotNull: {
    id: 'set-not-null',
    title: 'ALTER COLUMN … SET NOT NULL without a validated CHECK (col IS NOT NULL) before it',
    why: 'scans the whole table for NULLs under an ACCESS EXCLUSIVE lock',
    safe: 'ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT c, then SET NOT NULL (PostgreSQL 12+ uses the check and skips the scan); drop the check after',
  },
  dropOrRename: {
    id: 'drop-or-rename',
    title: 'DROP or RENAME of a table or column',
    why: 'the running app still uses the old name: its queries fail from the moment this commits until the new app version is out',
    safe: 'first deploy the app version that no longer uses the name (expand, then contract), then accept this finding with that reason',
  },
  exclusiveLockStatement: {
    id: 'exclusive-lock-statement',
    title:
      'VACUUM FULL, CLUSTER, REFRESH MATERIALIZED VIEW without CONCURRENTLY, LOCK TABLE, TRUNCATE, SET TABLESPACE / LOGGED / UNLOGGED on an existing table',
    why: "holds a lock that blocks the app's writes (ACCESS EXCLUSIVE: reads too) for as long as it works through the table — a rewrite for most; LOCK and TRUNCATE wait for every open transaction on it while everyone queues behind them",
    safe: 'run it outside the upgrade, in a maintenance window or an optimization of its own; REFRESH MATERIALIZED VIEW CONCURRENTLY (with a unique index); for bloat, an online rewrite (pg_repack); accept the finding with a reason when the table is known to be small',
  },
  lockTimeoutDisabled: {
    ...LOCK_TIMEOUT_DISABLED,
    title: 'SET lock_timeout to 0 (wait forever), or a migration config lock_timeout of 0',
  },
  parseError: {
    id: 'parse-error',
    title: "a statement PostgreSQL's parser rejects",
    why: 'lint cannot check what it cannot parse, and the server rejects the same syntax when the migration runs',
    safe: 'fix the SQL (PostgreSQL 18 grammar); a migration written for another engine does not belong to postgres tenants',
  },
} as const satisfies Record<string, LintRuleInfo>;

export type PostgresRule = keyof typeof POSTGRES_RULES;

/**
 * Functions known not to be volatile, fine in an ADD COLUMN default (PostgreSQL 11+ stores the value once).
 * A function not listed here may be volatile — user functions are VOLATILE unless declared otherwise — so
 * the rule flags it and says it cannot tell.
 */
export const NON_VOLATILE_FUNCTIONS = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_setting',
  'timezone',
  'date_trunc',
  'extract',
  'date_part',
  'make_date',
  'make_time',
  'make_timestamp',
  'make_timestamptz',
  'make_interval',
  'to_timestamp',
  'to_date',
  'to_char',
  'lower',
  'upper',
  'concat',
  'length',
  'replace',
  'abs',
  'round',
  'floor',
  'ceil',
  'trunc',
  'to_json',
  'to_jsonb',
  'json_build_object',
  'jsonb_build_object',
  'json_build_array',
  'jsonb_build_array',
  'array_fill',
]);

/** Functions known to be volatile, named as such in the finding (the others are "cannot tell"). */
export const VOLATILE_FUNCTIONS = new Set([
  'random',
  'random_normal',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'gen_random_bytes',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
]);
