import { keyedLimit } from '../util/keyed-limit.js';

/**
 * Tenants of one host that may hold a second connection at once: a PostgreSQL backup's pg_dump imports
 * the snapshot its tenant's session exported, so for a moment at pg_dump's start-up the tenant has two
 * connections. A run stays within `--per-host` + this many connections per host.
 */
export const SECOND_CONNECTIONS_PER_HOST = 2;

/**
 * Runs `fn` while the tenant on `host` holds a second connection; at most SECOND_CONNECTIONS_PER_HOST
 * of a host's tenants are inside at once, among every runner the gate covers.
 */
export type SecondConnectionGate = <T>(host: string, fn: () => Promise<T>) => Promise<T>;

/**
 * The gate of a run in one process. Process-wide on purpose, like the per-host caps: two runs in one
 * process share it. Queue workers replace it with one that holds across workers (src/queue/worker.ts).
 */
export const localSecondConnections: SecondConnectionGate = keyedLimit(SECOND_CONNECTIONS_PER_HOST);
