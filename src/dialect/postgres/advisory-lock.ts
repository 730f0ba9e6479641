import { abortableSleep } from '../../util/abortable-sleep.js';

/**
 * The tenant's migration lock: a session-level advisory lock (two keys: dbfleet's class, the tenant's
 * schema) that dies with the connection.
 *
 * Waiting for it never happens inside a statement. A blocking `pg_advisory_lock` holds a snapshot for
 * as long as it waits, and the lock holder's `CREATE INDEX CONCURRENTLY` waits for every snapshot older
 * than its own: the two wait for each other, the server cancels one of them (`deadlock detected`), and
 * the build leaves an INVALID index behind. So the waiter polls `pg_try_advisory_lock` — a statement
 * that returns at once — and sleeps between polls holding nothing.
 */

type Query = <R>(sql: string, values?: unknown[]) => Promise<R[]>;

/** 'dbf1' — the first key of dbfleet's two-key advisory locks, so they never collide with the app's. */
export const LOCK_CLASS = 0x64626631;

const FIRST_PAUSE_MS = 25;
const LONGEST_PAUSE_MS = 500;

export async function tryAdvisoryLock(query: Query, key: string): Promise<boolean> {
  const rows = await query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [
    LOCK_CLASS,
    key,
  ]);
  return rows[0]?.ok === true;
}

/**
 * Tries once, then polls until `waitMs` has passed (pauses grow from 25 ms to 0.5 s, with jitter so two
 * waiters do not poll in step). Resolves false when the time is up or `signal` aborted.
 */
export async function waitForAdvisoryLock(
  query: Query,
  key: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + Math.max(0, waitMs);
  let pauseMs = FIRST_PAUSE_MS;
  for (;;) {
    if (await tryAdvisoryLock(query, key)) return true;
    const left = deadline - Date.now();
    if (left <= 0 || signal?.aborted) return false;
    await abortableSleep(Math.min(left, pauseMs * (0.75 + Math.random() / 2)), signal);
    if (signal?.aborted) return false;
    pauseMs = Math.min(LONGEST_PAUSE_MS, pauseMs * 2);
  }
}

interface Holder {
  pid: number;
  application_name: string | null;
  client_addr: string | null;
  client_port: number | null;
  backend_start: Date | null;
  state: string | null;
  state_change: Date | null;
}

/**
 * Who holds the tenant's lock, as far as this role may see (another role's session shows its pid and
 * application name only). Asked only after the lock was refused: it costs the happy path nothing.
 * Never the query text: it may hold a literal secret.
 */
export async function describeAdvisoryLockHolder(
  query: Query,
  key: string,
  /** This session's application_name: a runner of the same knexfile is called so too. */
  ownName = 'dbfleet',
): Promise<string | undefined> {
  const rows = await query<Holder>(
    `select a.pid, a.application_name, host(a.client_addr) as client_addr, a.client_port,
            a.backend_start, a.state, a.state_change
       from pg_locks l
       join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.objsubid = 2
        and l.database = (select oid from pg_database where datname = current_database())
        and l.classid = $1::int::oid and l.objid = hashtext($2)::oid`,
    [LOCK_CLASS, key],
  );
  const holder = rows[0];
  if (!holder) return undefined;
  return describeHolder(holder, ownName);
}

function describeHolder(h: Holder, ownName: string): string {
  const parts = [`backend pid ${h.pid}`];
  parts.push(h.application_name ? `application_name '${h.application_name}'` : 'no application_name');
  if (h.client_addr) parts.push(`client ${h.client_addr}${h.client_port ? `:${h.client_port}` : ''}`);
  else if (h.client_port === -1) parts.push('client on a Unix socket');
  if (h.backend_start) parts.push(`connected since ${h.backend_start.toISOString()}`);
  if (h.state) {
    const since = h.state_change ? ` since ${h.state_change.toISOString()}` : '';
    parts.push(`${h.state}${since}`);
  }
  const dbfleet = h.application_name?.startsWith('dbfleet') === true || h.application_name === ownName;
  if (!dbfleet) return `held by a session that is not dbfleet (${parts.join(', ')})`;
  return `held by another dbfleet runner (${parts.join(', ')}); if that dbfleet process is gone, the server ends its session within seconds (client_connection_check_interval on PostgreSQL 14+, TCP keepalives) and the lock with it`;
}
