import type { Knex } from 'knex';

/** PostgreSQL keeps an application_name to its first 63 bytes (NAMEDATALEN - 1). */
const APP_NAME_MAX = 63;

/**
 * Cancels a pg_restore backend that has waited longer than the lock timeout for a lock, and names who
 * held it. Every archive pg_dump writes starts its restore with `SET lock_timeout = 0`, so the timeout
 * given to pg_restore at start-up is overridden: a restore that needs a table the application still
 * reads would otherwise wait as long as the reader does, with the tenant in maintenance the whole time.
 * Cancelling makes pg_restore fail; its single transaction rolls back. `pg_locks.waitstart` (PostgreSQL
 * 14+) is how long the current wait has lasted; on older servers it is null and nothing is cancelled.
 */
const WAITER_SQL = `with waiting as materialized (
  select a.pid,
    (select string_agg(h.pid::text || coalesce(' (' || nullif(h.application_name, '') || ')', ''), ', ')
       from unnest(pg_blocking_pids(a.pid)) as b(pid) join pg_stat_activity h on h.pid = b.pid) as holders
  from pg_stat_activity a join pg_locks l on l.pid = a.pid and not l.granted
  where a.application_name = ? and a.datname = current_database()
    and l.waitstart < clock_timestamp() - make_interval(secs => ? / 1000.0)
)
select holders, pg_cancel_backend(pid) as cancelled from waiting`;
// The holders are read (materialized) before the cancel goes out: once cancelled, the wait is over and
// pg_blocking_pids() would name no one.

export interface RestoreLockWatch {
  /** Stops watching; says who held the lock when the restore was cancelled for it, else undefined. */
  stop(): Promise<string | undefined>;
}

/** Watches the restore's backend (found by its `appName`) over `knex`, the tenant's idle session. */
export function watchRestoreLocks(knex: Knex, appName: string, lockTimeoutMs: number): RestoreLockWatch {
  let cancelledFor: string | undefined;
  let stopped = false;
  let polling: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      const { rows } = (await knex.raw(WAITER_SQL, [appName.slice(0, APP_NAME_MAX), lockTimeoutMs])) as {
        rows: { cancelled: boolean; holders: string | null }[];
      };
      const hit = rows.find((r) => r.cancelled);
      if (hit) cancelledFor ??= hit.holders ?? 'another session';
    } catch {
      // A failed look is no reason to fail the restore: the next one may work.
    }
  };
  const every = Math.min(250, Math.max(20, Math.floor(lockTimeoutMs / 4)));
  const timer = setInterval(() => {
    if (!stopped) polling = polling.then(poll);
  }, every);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await polling;
      return cancelledFor;
    },
  };
}
