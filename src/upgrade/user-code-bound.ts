import { TenantError } from '../core/errors.js';
import type { TenantSession } from '../dialect/types.js';
import type { TenantContext } from '../fleet/run-fleet.js';
import { formatDuration } from '../util/duration.js';

/** Bounds one piece of user code (a hook, a smoke check); `what` names it in the error. */
export type UserCodeBound = <T>(what: string, run: () => Promise<T>) => Promise<T>;

/**
 * Runs hooks or smoke checks on the tenant's session, each bounded as a whole by the statement timeout.
 *
 * SQL is bounded statement by statement by the server. A function can await anything — an HTTP call to
 * the application, a lock in another system, a promise that never settles — and would hold the tenant
 * (closed to its users) and a slot of the run for ever: the run would never end. One that has not settled
 * in time fails the tenant with `STATEMENT_TIMEOUT`, and once `fn` is done the session is closed under it:
 * its pending and later queries fail, the server rolls back a transaction it left open, and the next step
 * (a rollback's restore) opens a fresh session. JavaScript cannot stop the function itself; what it does
 * later outside the database is its own.
 */
export async function withBoundedUserCode<T>(
  ctx: TenantContext,
  fn: (session: TenantSession, bound: UserCodeBound) => Promise<T>,
): Promise<T> {
  const session = await ctx.session();
  // A knexfile's statement_timeout beats dbfleet's default on the session; 0 is "no limit", as in SQL.
  const ms = (session.timeouts ?? ctx.timeouts)?.statementTimeoutMs ?? 0;
  let timedOut = false;
  const bound: UserCodeBound = (what, run) => {
    const work = run();
    if (!(ms > 0)) return work;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        timedOut = true;
        // Abandoned: its later failure (on the closed session) must not surface as an unhandled rejection.
        work.catch(() => {});
        reject(
          new TenantError(
            'STATEMENT_TIMEOUT',
            `${what} did not finish within ${formatDuration(ms)} (the statement timeout); its session was closed under it`,
          ),
        );
      }, ms);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  };
  try {
    return await fn(session, bound);
  } finally {
    if (timedOut) await ctx.releaseSession();
  }
}
