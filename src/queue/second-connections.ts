import { type ControlConnection, lockAny } from '../dialect/postgres/queue-control.js';
import { SECOND_CONNECTIONS_PER_HOST, type SecondConnectionGate } from '../fleet/second-connections.js';
import { lockKey } from './job.js';

/** A pg_dump start-up takes tens of milliseconds: a tenant waiting for one to end tries this often. */
const RETRY_MS = 25;

/** Gate `slot` of a host's second-connection gate on the control database. */
export function secondConnectionLock(host: string, slot: number): [number, number] {
  return [lockKey(`dbfleet-second-connection:${host}`), slot];
}

/**
 * The second-connection gate shared by every worker on `control`'s database: a tenant takes one of the
 * host's SECOND_CONNECTIONS_PER_HOST advisory locks while its pg_dump takes over its snapshot, so the
 * workers of a run together stay within `--per-host` + that many connections per host, as one runner
 * does. A holder waits only for its own pg_dump to start and its own fingerprint, never for another lock:
 * no deadlock with the host slots.
 */
export function controlSecondConnections(control: ControlConnection): SecondConnectionGate {
  return async (host, fn) => {
    const locks = Array.from({ length: SECOND_CONNECTIONS_PER_HOST }, (_, i) =>
      secondConnectionLock(host, i),
    );
    const held = await lockAny(control, locks, RETRY_MS);
    try {
      return await fn();
    } finally {
      await control.unlock(held).catch(() => {});
    }
  };
}
