/**
 * Settings that let each side notice the other is gone, on every connection dbfleet opens.
 *
 * Server side, sent as start-up options (they ride on the connect packet: no round trip): a dbfleet
 * killed with `kill -9` mid-statement would otherwise leave its backend running that statement — and
 * holding the tenant's lock — until the statement timeout. `client_connection_check_interval` makes the
 * backend check its socket while a statement runs (PostgreSQL 14+); the TCP keepalives end a backend
 * whose client machine vanished without closing anything.
 *
 * Client side: TCP keepalives on the socket (pg's `keepAlive`), so a dead server or network path breaks
 * an idle connection instead of leaving it open forever.
 */

export const CHECK_INTERVAL_SETTING = 'client_connection_check_interval';
const CHECK_INTERVAL_MS = 2_000;
const SERVER_KEEPALIVES = { tcp_keepalives_idle: 10, tcp_keepalives_interval: 5, tcp_keepalives_count: 3 };

/** pg's client-side keepalive settings. */
export const CLIENT_KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 } as const;

/**
 * Servers (by host identity) that refused `client_connection_check_interval`: an unknown setting in the
 * start-up packet is a FATAL error before PostgreSQL 14. Learnt from the first refusal, for the rest of
 * the process, so an old server costs one failed connect per run, a new one nothing.
 */
const withoutCheckInterval = new Set<string>();

/** `-c name=value …` for the start-up packet's `options`. */
export function livenessStartupOptions(host: string): string {
  const settings: [string, number][] = Object.entries(SERVER_KEEPALIVES);
  if (!withoutCheckInterval.has(host)) settings.push([CHECK_INTERVAL_SETTING, CHECK_INTERVAL_MS]);
  return settings.map(([name, value]) => `-c ${name}=${value}`).join(' ');
}

/** The server refused this start-up setting as unknown (SQLSTATE 42704 at connect). */
export function refusedSetting(err: unknown, name: string): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === '42704' && typeof e.message === 'string' && e.message.includes(`"${name}"`);
}

/**
 * Connects with the liveness options; when the server is older than 14 and refuses the check
 * interval, remembers that for `host` and connects once more without it.
 */
export async function connectWithLiveness<T>(host: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (err) {
    if (withoutCheckInterval.has(host) || !refusedSetting(err, CHECK_INTERVAL_SETTING)) throw err;
    withoutCheckInterval.add(host);
    return connect();
  }
}

/** For tests: forget what was learnt about servers. */
export function forgetLivenessRefusals(): void {
  withoutCheckInterval.clear();
}
