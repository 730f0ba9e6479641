import { TenantError } from '../core/errors.js';
import type { OwnTransactionEnd } from '../dialect/types.js';

/** What a migration that ended dbfleet's transaction should do instead. */
const ADVICE =
  'drop its own COMMIT / ROLLBACK (dbfleet runs each migration in a transaction; a BEGIN TRAN … COMMIT pair of its own only nests on SQL Server, and a ROLLBACK to a SAVE TRAN savepoint keeps the transaction), or opt out with transaction=false';

/** A migration that ended its own transaction: knex fails it too, and records nothing. */
export function endedItsTransaction(name: string): TenantError {
  return new TenantError(
    'TRANSACTION_ENDED',
    `${name} committed or rolled back its own transaction (trx.commit() / trx.rollback()): what it committed stays, and it is not recorded as applied — let dbfleet commit it, or opt out with config.transaction = false`,
  );
}

/**
 * SQL Server: a migration that ran to its end with a BEGIN TRAN of its own still open inside dbfleet's
 * transaction. Committing would only close that one: dbfleet's stayed open, the migration and its history
 * row in it, reported applied and lost when the session ended. knex's ROLLBACK undoes all of it instead.
 */
export function leftItsTransactionOpen(): TenantError {
  return new TenantError(
    'TRANSACTION_LEFT_OPEN',
    'left a BEGIN TRAN of its own open (more BEGIN TRANs than COMMITs): on SQL Server it nests in the transaction dbfleet runs the migration in, and committing would only have closed it, so it was rolled back — end each BEGIN TRAN with a COMMIT, or drop it',
  );
}

/**
 * SQL Server: a migration that ran to its end, but its own COMMIT (without a BEGIN TRAN of its own to
 * pair with) or ROLLBACK ended the transaction dbfleet ran it in. Its history row is not written — outside
 * a transaction it would commit on its own, and knex's closing COMMIT would then fail (3902) — so the
 * report says what the tenant holds.
 */
export function endedItsTransactionStatement(end: Exclude<OwnTransactionEnd, 'left open'>): TenantError {
  const what = {
    committed:
      'a COMMIT statement of its own (with no BEGIN TRAN of its own to pair with) committed the transaction dbfleet ran it in: all it ran is committed',
    'rolled back':
      'a ROLLBACK statement of its own rolled back the transaction dbfleet ran it in: what it ran before that ROLLBACK is undone, what it ran after one (outside any transaction) stays committed',
    ended:
      'a COMMIT or ROLLBACK statement of its own ended the transaction dbfleet ran it in: what it ran may be committed or rolled back',
  }[end];
  return new TenantError(
    'TRANSACTION_ENDED',
    `${what}, and it is not recorded as applied — check the tenant before running it again; ${ADVICE}`,
  );
}

/**
 * A migration that failed after a COMMIT (or ROLLBACK) statement of its own: that statement ended the
 * transaction dbfleet ran it in, so what it ran before stays committed — reporting "rolled back, nothing
 * applied" would be false. knex fails it the same way, with the same state left behind. On SQL Server
 * (`end` given) the server cannot say which statement ended it, nor whether before the failure.
 */
export function failedAfterEndingItsTransaction(err: unknown, end?: OwnTransactionEnd): TenantError {
  const cause = err instanceof Error ? err.message : String(err);
  if (end === undefined)
    return new TenantError(
      'TRANSACTION_ENDED',
      `ended its own transaction (a COMMIT or ROLLBACK statement of its own), then failed: ${cause} — what it ran before that COMMIT stays committed, and it is not recorded as applied; drop its own BEGIN / COMMIT (dbfleet runs each migration in a transaction), or opt out with transaction=false`,
    );
  return new TenantError(
    'TRANSACTION_ENDED',
    `may have ended its own transaction (it runs a COMMIT or ROLLBACK statement of its own), then failed: ${cause} — what it ran before such a COMMIT stays committed (the failure rolls back only what came after it), and it is not recorded as applied: check the tenant before running it again; ${ADVICE}`,
  );
}
