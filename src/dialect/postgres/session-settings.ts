import type { ConnectionObject } from '../../core/tenant.js';
import type { SessionOptions, Timeouts } from '../types.js';

/**
 * The session's name in pg_stat_activity: the knexfile's (or the tenant's) `application_name`, as knex would
 * give it, else 'dbfleet'. A lock holder's name tells a dbfleet runner apart (advisory-lock.ts).
 */
export function applicationNameOf(connection: ConnectionObject): string {
  const own = connection.application_name;
  return typeof own === 'string' && own !== '' ? own : 'dbfleet';
}

/**
 * The milliseconds pg (so knex) starts a session with for a connection key, or undefined where it sends
 * none: pg sends `parseInt(value)` of a truthy value only (so `'5s'` is 5 ms, and 0 leaves the server's).
 */
function pgSettingMs(key: string, value: unknown): number | undefined {
  if (!value) return undefined;
  const ms = Number.parseInt(String(value), 10);
  // pg would send "NaN", and the server refuse the connection.
  if (Number.isNaN(ms))
    throw new Error(`connection.${key} ${JSON.stringify(value)} is not a number of milliseconds`);
  return ms;
}

const KEYS = { lockTimeoutMs: 'lock_timeout', statementTimeoutMs: 'statement_timeout' } as const;

/**
 * The session's timeouts: one the run asked for (a flag, `timeouts` in the config, a library option) beats
 * the tenant's connection setting (a knexfile's `statement_timeout`, which knex would use), which beats
 * dbfleet's default. pg sends those connection keys as start-up parameters, which the server applies after
 * the `-c` options, so they are taken out of the connection: the `-c` options carry the chosen values.
 */
export function sessionTimeouts(
  connection: ConnectionObject,
  options: SessionOptions,
): { timeouts: Timeouts; connection: ConnectionObject } {
  const rest: ConnectionObject = { ...connection };
  const timeouts = { ...options.timeouts };
  for (const [field, key] of Object.entries(KEYS) as [keyof Timeouts, string][]) {
    const own = rest[key];
    delete rest[key];
    // Without `askedTimeouts`, every timeout given was asked for (a caller opening a session directly).
    const asked = options.askedTimeouts === undefined || options.askedTimeouts[field] !== undefined;
    const ms = asked ? undefined : pgSettingMs(key, own);
    if (ms !== undefined) timeouts[field] = ms;
  }
  return { timeouts, connection: rest };
}
