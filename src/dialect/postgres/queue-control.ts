import pg from 'pg';
import { abortableSleep } from '../../util/abortable-sleep.js';

/**
 * One connection to the control database that holds this process's advisory locks (job locks, host
 * slots). Session locks die with the connection, so a worker killed with -9 frees them at once.
 */
export interface ControlConnection {
  tryLock(key: readonly [number, number]): Promise<boolean>;
  unlock(key: readonly [number, number]): Promise<void>;
  /** Takes a shared lock and keeps it until the connection closes (a worker's "I serve this tag"). */
  holdShared(key: readonly [number, number]): Promise<void>;
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Calls `onNotify` on every notification of `channel` (LISTEN on this connection). */
  listen(channel: string, onNotify: (payload: string) => void): Promise<void>;
  /** Notifies every listener of `channel` (no secrets in `payload`: any session of the database may listen). */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export async function openControl(url: string, applicationName: string): Promise<ControlConnection> {
  const client = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    // A lost control database must surface as an error, not a silent hang.
    keepAlive: true,
  });
  client.on('error', () => {
    // reported by the next query that fails
  });
  await client.connect();
  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await client.query<T>(sql, params)).rows;
  return {
    query,
    async tryLock(key) {
      const rows = await query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, $2::int) as ok', [
        ...key,
      ]);
      return rows[0]?.ok === true;
    },
    async unlock(key) {
      await query('select pg_advisory_unlock($1::int, $2::int)', [...key]);
    },
    async holdShared(key) {
      await query('select pg_advisory_lock_shared($1::int, $2::int)', [...key]);
    },
    async listen(channel, onNotify) {
      client.on('notification', (msg) => {
        if (msg.channel === channel) onNotify(msg.payload ?? '');
      });
      await client.query(`listen ${client.escapeIdentifier(channel)}`);
    },
    async notify(channel, payload) {
      await query('select pg_notify($1, $2)', [channel, payload]);
    },
    close: () => client.end().catch(() => {}),
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
