import type { FleetEvent } from '../core/events.js';
import { serverKey } from '../core/server-key.js';
import type { Tenant } from '../core/tenant.js';
import type { DialectAdapter, TenantSession } from '../dialect/types.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { createHostBreaker, DOWN_AFTER_FAILURES, RETRY_DOWN_HOST_MS } from './host-breaker.js';

/**
 * A server that refuses a connection for want of slots (its max_connections, the role's or the
 * database's CONNECTION LIMIT; SQL Server's user connections) is a capacity problem, not the tenant's:
 * the tenant waits for one of this run's own connections to that server to close and tries again, and
 * the server's per-host cap comes down to the connections it did accept, for the rest of the run —
 * instead of failing a hundred tenants at once. A server still starting up (or when none of this run's
 * connections is open there) gets a few retries with backoff.
 */

/** Retries with backoff when no connection of this run to the server is open to wait for. */
const BACKOFF_RETRIES = 6;
const FIRST_BACKOFF_MS = 250;
const LONGEST_BACKOFF_MS = 8_000;

const CAPACITY = new Set(['TOO_MANY_CONNECTIONS']);
const NOT_READY = new Set(['SERVER_UNAVAILABLE']);

export interface HostConnectionsOptions {
  lowerHostCap(host: string, to: number): { from: number; to: number } | undefined;
  emit(event: FleetEvent): void;
  signal: AbortSignal;
}

export function createHostConnections(options: HostConnectionsOptions) {
  const open = new Map<string, number>();
  const breaker = createHostBreaker();
  /** Per host, tenants waiting for one of this run's connections there to close; one wakes per close. */
  const waiting = new Map<string, (() => void)[]>();

  const released = (host: string) => {
    open.set(host, (open.get(host) ?? 1) - 1);
    waiting.get(host)?.shift()?.();
  };

  const nextClose = (host: string): Promise<void> =>
    new Promise((resolve) => {
      const queue = waiting.get(host) ?? [];
      waiting.set(host, queue);
      const wake = () => {
        options.signal.removeEventListener('abort', wake);
        const at = queue.indexOf(wake);
        if (at >= 0) queue.splice(at, 1);
        resolve();
      };
      queue.push(wake);
      options.signal.addEventListener('abort', wake, { once: true });
    });

  /** Counts the session as open on its host until it closes. */
  const tracked = (host: string, session: TenantSession): TenantSession => {
    open.set(host, (open.get(host) ?? 0) + 1);
    const close = session.close.bind(session);
    let closed = false;
    session.close = async () => {
      try {
        await close();
      } finally {
        if (!closed) released(host);
        closed = true;
      }
    };
    return session;
  };

  return {
    /** Opens the tenant's session, waiting and retrying while its server is out of connection slots. */
    async open(tenant: Tenant, adapter: DialectAdapter, connect: () => Promise<TenantSession>) {
      // Counted, capped and broken per server; messages keep the inventory's spelling.
      const host = serverKey(tenant.host);
      // A file is not a server: one missing file says nothing of the others (see host-breaker.ts).
      const server = !adapter.capabilities.fileBased;
      for (let backoffs = 0; ; ) {
        if (server) breaker.admit(host, tenant.host);
        try {
          const session = await connect();
          if (server) breaker.answered(host);
          return tracked(host, session);
        } catch (err) {
          const info = adapter.classifyError(err);
          const code = info?.code ?? '';
          if (server && breaker.failed(host, code, info?.message ?? String(err)))
            options.emit({
              type: 'notice',
              level: 'warn',
              message: `${tenant.host} did not answer ${DOWN_AFTER_FAILURES} connection attempts in a row (${code}): its other tenants are skipped, not tried (HOST_DOWN); one attempt every ${RETRY_DOWN_HOST_MS / 1000}s tries it again`,
            });
          if (options.signal.aborted || !(CAPACITY.has(code) || NOT_READY.has(code))) throw err;
          const mine = open.get(host) ?? 0;
          if (CAPACITY.has(code)) {
            const lowered = options.lowerHostCap(host, mine);
            if (lowered)
              options.emit({
                type: 'host:capped',
                host: tenant.host,
                ...lowered,
                reason: `connection limit hit (${tenant.id} refused with ${mine} of this run's connections open there); cap lowered ${lowered.from} → ${lowered.to}`,
              });
            // One of this run's own connections there will close: that slot is the tenant's next try.
            if (mine > 0) {
              await nextClose(host);
              continue;
            }
          }
          if (backoffs >= BACKOFF_RETRIES) throw err;
          await abortableSleep(
            Math.min(LONGEST_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** backoffs++),
            options.signal,
          );
        }
      }
    },
  };
}
