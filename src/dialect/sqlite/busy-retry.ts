import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The sleeps between attempts, as SQLite's own busy handler takes them (sqliteDefaultBusyCallback), then
 * its last one for as long as the wait lasts: a lock let go is noticed about as soon as before.
 */
const BACKOFF_MS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100] as const;

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_RECOVERY, _SNAPSHOT, _TIMEOUT) as better-sqlite3 names them. */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `attempt` and, while it fails with SQLITE_BUSY and `mayRetry` allows it, runs it again after an
 * asynchronous sleep — until `waitMs` have passed, when the last SQLITE_BUSY is thrown as it was. What
 * `busy_timeout = waitMs` does, except that SQLite's busy handler sleeps on the thread: better-sqlite3 is
 * synchronous, so that sleep held Node's event loop, and with it every other tenant of the run, the live
 * view, the journal and Ctrl-C. `attempt` must run on a connection whose busy_timeout is 0.
 */
export async function retryWhileBusy<T>(
  attempt: () => T | Promise<T>,
  waitMs: number,
  mayRetry: () => boolean = () => true,
): Promise<T> {
  const deadline = Date.now() + Math.max(0, waitMs);
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      const left = deadline - Date.now();
      if (!isBusy(err) || left <= 0 || !mayRetry()) throw err;
      await sleep(Math.min(BACKOFF_MS[Math.min(tries, BACKOFF_MS.length - 1)]!, left));
    }
  }
}
