import type { Knex } from 'knex';
import { TenantError } from '../core/errors.js';
import { formatDuration } from '../util/duration.js';

/** A migration that sent no query for longer than the bound: its session was closed under it. */
export class StuckMigration extends TenantError {}

function stuckMessage(idle: string, transactional: boolean): string {
  return `sent no query for ${idle} while running (a promise that never settles? a missing await?): its session was closed, so ${
    transactional
      ? 'its transaction was rolled back; nothing of it was applied'
      : 'it stopped there; it runs without a transaction, so what it ran before stays applied (a transaction of its own still open was rolled back), and it is not recorded as applied'
  }`;
}

/** The knex query object of `query`, and the second argument of `query-response` / `query-error`. */
type QueryEvent = { __knexQueryUid?: unknown } | undefined;

export interface IdleBound {
  /** Runs `fn` (a script sent past knex's events) as a query in flight. */
  busy<T>(fn: () => Promise<T>): Promise<T>;
  /** Settles like `work`, or rejects with a StuckMigration once the session was closed under it. */
  race<T>(work: Promise<T>): Promise<T>;
  /** Whether the bound tripped (whatever `work` then rejected with, the migration was stuck). */
  readonly tripped: StuckMigration | undefined;
  stop(): void;
}

/**
 * Bounds the time a running migration spends with no query in flight on its session.
 *
 * A migration is not bounded as a whole — a backfill legitimately runs statements for hours — and the
 * server bounds each statement. What nothing bounded is the time between statements: an `up()` awaiting
 * a promise that never settles (a forgotten `await`/`return`, a hung HTTP call) held its transaction, and
 * the ACCESS EXCLUSIVE locks of its DDL on live tables, for as long as the process ran. Queries are seen
 * through knex's public events on the session's knex, which a transaction's queries reach too (pinned by
 * test/integration/migration-idle-bound-*.test.ts;
 * the `__knexQueryUid` that matches a query's `query` to its response, in knex 3.3.0, by
 * test/integration/idle-bound-knex-events-postgres.test.ts): no setting and no query is added to the session.
 * Once idle for `ms`, `close` closes the session under the migration — the server (or SQLite, closing the
 * file) rolls its transaction back and releases its locks — and `race` rejects.
 */
export function boundIdleTime(
  knex: Knex,
  ms: number,
  transactional: boolean,
  close: () => Promise<void>,
): IdleBound {
  const inFlight = new Set<unknown>();
  let scripts = 0;
  let timer: NodeJS.Timeout | undefined;
  let tripped: StuckMigration | undefined;
  let trip: ((err: StuckMigration) => void) | undefined;
  const stuck = new Promise<never>((_, reject) => {
    trip = reject;
  });
  // Never unhandled: only `race` hands it on.
  stuck.catch(() => {});
  const arm = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!(ms > 0) || tripped || inFlight.size > 0 || scripts > 0) return;
    timer = setTimeout(() => {
      tripped = new StuckMigration('STATEMENT_TIMEOUT', stuckMessage(formatDuration(ms), transactional));
      const err = tripped;
      // Closed first, so the transaction is rolled back server-side before the failure is reported.
      close()
        .catch(() => {})
        .then(() => trip?.(err));
    }, ms);
  };
  // BEGIN, SAVEPOINT and COMMIT carry no query uid and get no response event: activity, not in flight.
  const onQuery = (query: QueryEvent) => {
    if (query?.__knexQueryUid !== undefined) inFlight.add(query.__knexQueryUid);
    arm();
  };
  const onDone = (_: unknown, query: QueryEvent) => {
    inFlight.delete(query?.__knexQueryUid);
    arm();
  };
  const stopListening = () => {
    clearTimeout(timer);
    knex.off('query', onQuery);
    knex.off('query-response', onDone);
    knex.off('query-error', onDone);
  };
  if (ms > 0) {
    knex.on('query', onQuery);
    knex.on('query-response', onDone);
    knex.on('query-error', onDone);
    arm();
  }
  return {
    async busy(fn) {
      scripts += 1;
      arm();
      try {
        return await fn();
      } finally {
        scripts -= 1;
        arm();
      }
    },
    race: (work) => (ms > 0 ? Promise.race([work, stuck]) : work),
    get tripped() {
      return tripped;
    },
    stop: stopListening,
  };
}
