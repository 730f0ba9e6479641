import type { Knex } from 'knex';
import type { OwnTransactionEnd } from '../session-types.js';
import { raisedServerError } from './errors.js';
import { queryBatch } from './raw-connection.js';
import {
  addTransactionStatements,
  mayEndOuterTransaction,
  type TransactionStatements,
  transactionStatements,
} from './transaction-statements.js';

/**
 * "Transaction count after EXECUTE indicates a mismatching number of BEGIN and COMMIT statements": a
 * COMMIT or ROLLBACK sent through knex (sp_executesql) ended the transaction it was called in.
 */
const TRANCOUNT_MISMATCH = 266;

const none = (): TransactionStatements => ({ begins: [], commits: [], rollbacks: [] });

/**
 * For `TenantSession.ownTransactionEnd` on SQL Server. Only the server knows whether a migration's
 * transaction is still open (tedious' `inTransaction` is its private bookkeeping), so it is asked; the
 * scripts run in the transaction since it began say which of COMMIT or ROLLBACK can have ended it.
 */
export class OwnTransactionTracker {
  private seen = none();

  /** A transaction begins: what earlier ones ran no longer counts. */
  began(): void {
    this.seen = none();
  }

  /** A script is about to run in the transaction. */
  runs(script: string): void {
    addTransactionStatements(this.seen, transactionStatements(script));
  }

  async end(on: Knex.Transaction, failure?: unknown): Promise<OwnTransactionEnd | undefined> {
    const { rows } = await queryBatch(on, 'SELECT @@TRANCOUNT AS n;');
    const n = Number((rows[0] as { n?: unknown } | undefined)?.n);
    // Over 1 after a success: knex's COMMIT would only un-nest its own BEGIN TRAN, leaving dbfleet's open
    // (and the migration with its history row lost when the session ends). After a failure knex's
    // ROLLBACK undoes all of it anyway.
    if (n > 1) return failure === undefined ? 'left open' : undefined;
    if (n > 0) return undefined;
    const { begins, commits, rollbacks } = this.seen;
    if (failure !== undefined) {
      // XACT_ABORT rolls the transaction back on (nearly) every error: @@TRANCOUNT 0 then means the
      // migration ended it only if something it ran could have — and not even then which, or when.
      const couldEnd = mayEndOuterTransaction(this.seen) || raisedServerError(failure, TRANCOUNT_MISMATCH);
      return couldEnd ? 'ended' : undefined;
    }
    // It succeeded, so no error rolled it back: a statement of its own ended it. Without any ROLLBACK only
    // a COMMIT can have (everything committed); without any COMMIT only a ROLLBACK can have. The counts
    // know no order, so with both there is no telling.
    if (rollbacks.length === 0 && commits.length > begins.length) return 'committed';
    if (commits.length === 0 && rollbacks.length > 0) return 'rolled back';
    return 'ended';
  }
}
