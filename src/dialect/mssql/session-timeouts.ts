import type { Timeouts } from '../types.js';
import { type RawConnection, type RequestConstructor, runBatch } from './raw-connection.js';

/**
 * Lock and statement timeouts on SQL Server.
 *
 * - Lock timeout: `SET LOCK_TIMEOUT`, sent as a plain batch so it holds for the session (see
 *   raw-connection.ts). dbfleet's 0 means "wait forever", which is -1 in T-SQL; T-SQL's 0 means "do not wait".
 * - Statement timeout: SQL Server has none. It is the driver's request timeout, read by tedious whenever a
 *   request starts, so changing it on the live connection applies from the next request. On expiry tedious
 *   sends an attention; the server aborts the batch and, under XACT_ABORT ON, rolls the transaction back.
 *
 * `SET LOCK_TIMEOUT` has no transaction-local form (PostgreSQL's SET LOCAL). To give `setTimeouts(t, trx)`
 * the same meaning on every dialect — an override that ends with its transaction — the session's own values
 * are put back before the first request that starts outside a transaction afterwards.
 */

export function lockTimeoutSql(lockTimeoutMs: number): string {
  const value = lockTimeoutMs > 0 ? Math.max(1, Math.round(lockTimeoutMs)) : -1;
  return `SET LOCK_TIMEOUT ${value};`;
}

/** Sent once on the pinned connection when a session opens. */
export function sessionInitSql(timeouts: Timeouts): string {
  return `SET XACT_ABORT ON; ${lockTimeoutSql(timeouts.lockTimeoutMs)}`;
}

/**
 * The request timeout: the statement timeout when one is set, else `SessionOptions.requestTimeoutMs`, else
 * none — never tedious' 15 s default, which would kill any long migration or index build.
 */
export function effectiveRequestTimeout(timeouts: Timeouts, requestTimeoutMs?: number): number {
  if (timeouts.statementTimeoutMs > 0) return Math.floor(timeouts.statementTimeoutMs);
  return requestTimeoutMs !== undefined && requestTimeoutMs > 0 ? Math.floor(requestTimeoutMs) : 0;
}

export type TimeoutScope = 'session' | 'transaction';

const sameTimeouts = (a: Timeouts, b: Timeouts) =>
  a.lockTimeoutMs === b.lockTimeoutMs && a.statementTimeoutMs === b.statementTimeoutMs;

export class SessionTimeouts {
  private sessionTimeouts: Timeouts;
  private readonly opened: Timeouts;
  private restorePending = false;

  constructor(
    initial: Timeouts,
    private readonly requestTimeoutMs?: number,
  ) {
    this.sessionTimeouts = { ...initial };
    this.opened = { ...initial };
  }

  /**
   * The request timeout for timeouts set on the live session. A statement timeout of 0 the session was
   * opened with means "none set": the configured request timeout stands in, as at open, also when those
   * timeouts are put back. Any other 0 was asked for — an index build's "no limit" — and gets no request
   * timeout, as a backup has: the run's or the tenant's would cancel a long ONLINE build.
   */
  private requestTimeoutFor(timeouts: Timeouts): number {
    if (sameTimeouts(timeouts, this.opened)) return effectiveRequestTimeout(timeouts, this.requestTimeoutMs);
    return effectiveRequestTimeout(timeouts);
  }

  /**
   * Routes the connection's request entry points (knex's queries, raw batches, BEGIN TRANSACTION) through a
   * check that restores the session's timeouts once a transaction-scoped override has outlived its
   * transaction — however it ended: commit, rollback, or the server aborting it under XACT_ABORT.
   */
  attach(connection: RawConnection, Request: RequestConstructor): void {
    const sendBatch = connection.execSqlBatch.bind(connection);
    const sendSql = connection.execSql.bind(connection);
    const begin = connection.beginTransaction.bind(connection);
    const restoreThen = (next: () => void) => {
      if (!this.restorePending || connection.inTransaction) {
        next();
        return;
      }
      this.restorePending = false;
      connection.config.options.requestTimeout = this.requestTimeoutFor(this.sessionTimeouts);
      const restore = new Request(lockTimeoutSql(this.sessionTimeouts.lockTimeoutMs), (err) => {
        // Only a dead connection fails a SET; closing it makes the waiting request fail rather than run
        // under the override.
        if (err) connection.close();
        next();
      });
      sendBatch(restore);
    };
    connection.execSql = (request) => restoreThen(() => sendSql(request));
    connection.execSqlBatch = (request) => restoreThen(() => sendBatch(request));
    connection.beginTransaction = (callback, name, isolationLevel) =>
      restoreThen(() => begin(callback, name, isolationLevel));
  }

  async apply(
    connection: RawConnection,
    Request: RequestConstructor,
    timeouts: Timeouts,
    scope: TimeoutScope,
  ): Promise<void> {
    if (scope === 'session') {
      this.sessionTimeouts = { ...timeouts };
      this.restorePending = false;
    }
    connection.config.options.requestTimeout = this.requestTimeoutFor(timeouts);
    await runBatch(connection, Request, lockTimeoutSql(timeouts.lockTimeoutMs));
    // Marked only now: had the transaction already ended, the check above would otherwise restore
    // before the override and leave the override in place for good.
    if (scope === 'transaction') this.restorePending = true;
  }
}
