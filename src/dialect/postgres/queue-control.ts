import pg from 'pg';
import { abortableSleep } from '../../util/abortable-sleep.js';
import { CLIENT_KEEPALIVE, connectWithLiveness, livenessStartupOptions } from './liveness-options.js';

/**
 * One connection to the control database that holds this process's advisory locks (job locks, host
 * slots). Session locks die with the connection, so a worker killed with -9 frees them at once.
 */
export interface ControlConnection {
  /**
   * Takes `key` unless anyone holds it, this process included: PostgreSQL's session locks are
   * re-entrant, and every tenant of a worker shares this one session, so without the local check a
   * worker's second tenant would "take" a slot its first one holds.
   */
  tryLock(key: readonly [number, number]): Promise<boolean>;
  unlock(key: readonly [number, number]): Promise<void>;
  /** Takes a shared lock and keeps it until the connection closes (a worker's "I serve this tag"). */
  holdShared(key: readonly [number, number]): Promise<void>;
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Calls `onNotify` on every notification of `channel` (LISTEN on this connection). */
  listen(channel: string, onNotify: (payload: string) => void): Promise<void>;
  /** Notifies every listener of `channel` (no secrets in `payload`: any session of the database may listen). */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Calls `onLost` once when the connection fails or ends other than by close() (the server terminated
   * the session, a failover, the network): every lock this process held on it is gone with it.
   */
  onLost(onLost: (err: Error) => void): void;
  close(): Promise<void>;
}

export async function openControl(url: string, applicationName: string): Promise<ControlConnection> {
  const server = serverOf(url);
  const client = await connectWithLiveness(server, async () => {
    const client = new pg.Client({
      connectionString: url,
      application_name: applicationName,
      // A lost control database must surface as an error, not a silent hang (client keepalives) — and
      // a runner machine lost without a word must lose its locks: the server's keepalives end its
      // session, which PostgreSQL would otherwise keep for the kernel's default of two hours, and
      // with it the job lock that tells the coordinator the worker lives.
      ...CLIENT_KEEPALIVE,
      options: livenessStartupOptions(server),
    });
    client.on('error', () => {
      // reported by the next query that fails, and to onLost listeners (below)
    });
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    return client;
  });
  // Every tenant of a worker, its heartbeat and its job loop share this one client: its statements go
  // out one after another, each once the one before has answered. Handing pg a query while another runs
  // made it queue them itself, which pg 8 warns about (DeprecationWarning) and pg 9 refuses. The order is
  // the order of the calls, as before (an unlock goes out before a later tryLock).
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <R>(send: () => Promise<R>): Promise<R> => {
    const result = tail.then(send);
    tail = result.catch(() => {});
    return result;
  };
  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await serially(() => client.query<T>(sql, params))).rows;
  // Keys this process holds (or is taking): marked before the query goes out, so that two tenants
  // asking at once cannot both get one.
  const held = new Set<string>();
  let closing = false;
  let lost: Error | undefined;
  const lostListeners: ((err: Error) => void)[] = [];
  const loseWith = (err: Error) => {
    if (closing || lost) return;
    lost = err;
    for (const listener of lostListeners) listener(err);
  };
  // pg emits 'error' (the server's FATAL, a socket error) and then 'end'; 'end' alone when the socket
  // closes without an error.
  client.on('error', (err) => loseWith(err));
  client.on('end', () => loseWith(new Error('the connection was closed')));
  return {
    query,
    async tryLock(key) {
      const id = key.join(':');
      if (held.has(id)) return false;
      held.add(id);
      try {
        const rows = await query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, $2::int) as ok', [
          ...key,
        ]);
        if (rows[0]?.ok === true) return true;
      } catch (err) {
        held.delete(id);
        throw err;
      }
      held.delete(id);
      return false;
    },
    async unlock(key) {
      // The unlock is sent before a later tryLock of this process (one connection, in order).
      const unlocking = query('select pg_advisory_unlock($1::int, $2::int)', [...key]);
      held.delete(key.join(':'));
      await unlocking;
    },
    async holdShared(key) {
      await query('select pg_advisory_lock_shared($1::int, $2::int)', [...key]);
    },
    async listen(channel, onNotify) {
      client.on('notification', (msg) => {
        if (msg.channel === channel) onNotify(msg.payload ?? '');
      });
      await serially(() => client.query(`listen ${client.escapeIdentifier(channel)}`));
    },
    async notify(channel, payload) {
      await query('select pg_notify($1, $2)', [channel, payload]);
    },
    onLost(onLost) {
      if (lost) onLost(lost);
      else lostListeners.push(onLost);
    },
    close: () => {
      closing = true;
      return client.end().catch(() => {});
    },
  };
}

/** Takes the first free lock of `keys`, retrying every `retryMs`; resolves with the one it holds. */
export async function lockAny(
  control: ControlConnection,
  keys: readonly (readonly [number, number])[],
  retryMs: number,
  signal?: AbortSignal,
): Promise<readonly [number, number]> {
  for (;;) {
    for (const key of keys) if (await control.tryLock(key)) return key;
    signal?.throwIfAborted();
    await abortableSleep(retryMs, signal);
  }
}

/** host:port of a postgres:// URL: the key under which liveness-options.ts learns what a server refuses. */
function serverOf(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    return `${hostname || 'localhost'}:${port || '5432'}`;
  } catch {
    return url.replace(/\/\/[^@]*@/, '//');
  }
}
