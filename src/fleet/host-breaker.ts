import { TenantError } from '../core/errors.js';

/** Connection attempts in a row that found nobody answering before a server counts as down. */
export const DOWN_AFTER_FAILURES = 3;
/** While a server is down, one tenant's connection attempt every this often tries it again. */
export const RETRY_DOWN_HOST_MS = 30_000;

/**
 * What says the server itself cannot be reached — not this tenant's database or login, which a server
 * that answered would have said (those reset the count: the server is up).
 */
const NOBODY_ANSWERED = new Set(['UNREACHABLE', 'CONNECT_TIMEOUT']);

interface HostState {
  failures: number;
  last?: string;
  /** When a connection attempt last went to the server while it was down (the retry). */
  triedAt: number;
  retrying: boolean;
}

/**
 * A circuit breaker per database server. A server that stops answering (powered off, firewalled, a
 * black-holed address) costs every tenant on it the full connect timeout: 250 tenants at 4 at a time and
 * 10 s each keep an upgrade waiting 10 minutes to report what the first three attempts already showed.
 * After DOWN_AFTER_FAILURES attempts in a row that nobody answered, the server's other tenants are skipped
 * at once, `HOST_DOWN` ("not tried"), naming the server and the last error — except one attempt every
 * RETRY_DOWN_HOST_MS, which closes the breaker again when the server answers. File-based tenants never go
 * through it: their "unreachable" is one missing file, not a server.
 */
export function createHostBreaker(now: () => number = Date.now) {
  const hosts = new Map<string, HostState>();
  const stateOf = (host: string) => {
    const state = hosts.get(host) ?? { failures: 0, triedAt: 0, retrying: false };
    hosts.set(host, state);
    return state;
  };
  const isDown = (state: HostState) => state.failures >= DOWN_AFTER_FAILURES;

  return {
    /**
     * Before a connection attempt: throws while the server is down, unless this attempt is the retry.
     * Returns whether it is (its outcome must then be reported like any other).
     */
    admit(host: string, shownAs: string = host): void {
      const state = hosts.get(host);
      if (!state || !isDown(state)) return;
      if (!state.retrying && now() - state.triedAt >= RETRY_DOWN_HOST_MS) {
        state.retrying = true;
        state.triedAt = now();
        return;
      }
      // Skipped, not failed: nothing was tried, so nothing of the tenant's was touched — it counts toward no
      // failure budget, and `upgrade --resume` runs it once the server answers.
      throw new TenantError(
        'HOST_DOWN',
        `not tried: ${shownAs} did not answer the last ${state.failures} connection attempts (last: ${state.last}); this run tries it again every ${RETRY_DOWN_HOST_MS / 1000}s`,
        { skipped: true },
      );
    },
    /** The server answered (a session opened, or it refused for a reason of its own). */
    answered(host: string): void {
      const state = hosts.get(host);
      if (!state) return;
      state.failures = 0;
      state.retrying = false;
    },
    /**
     * A connection attempt failed with `code`. Returns true when this failure is the one that marks the
     * server down (for a notice), false otherwise.
     */
    failed(host: string, code: string, message: string): boolean {
      if (!NOBODY_ANSWERED.has(code)) {
        this.answered(host);
        return false;
      }
      const state = stateOf(host);
      const wasDown = isDown(state);
      state.failures++;
      state.last = `${code}: ${message}`;
      state.retrying = false;
      if (!wasDown && isDown(state)) state.triedAt = now();
      return !wasDown && isDown(state);
    },
  };
}

export type HostBreaker = ReturnType<typeof createHostBreaker>;
