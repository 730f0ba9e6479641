import knexFactory from 'knex';
import { errorMessage, UsageError } from '../core/errors.js';
import type { FleetEvent } from '../core/events.js';
import type { Tenant } from '../core/tenant.js';
import { SILENT_KNEX_LOG } from '../dialect/pinned-knex.js';
import { getAdapter } from '../dialect/registry.js';
import { parseDuration } from '../util/duration.js';

/**
 * A load probe per database server: before a tenant starts on a host, `query` (run against that host)
 * must return a number no greater than `max`; otherwise the host's tenants wait and re-probe every
 * `interval`. E.g. active sessions, waiting locks, replica lag in seconds.
 */
export interface ThrottleConfig {
  query: string;
  max: number;
  interval?: string | number;
  /** Probe results are reused for this long (default: `interval`), so 1000 tenants don't mean 1000 probes. */
  cacheFor?: string | number;
}

export function validateThrottle(raw: unknown): ThrottleConfig | undefined {
  if (raw === undefined) return undefined;
  const t = raw as Partial<ThrottleConfig>;
  if (!t || typeof t.query !== 'string' || t.query.trim() === '' || typeof t.max !== 'number') {
    throw new UsageError('config.throttle needs { query: string, max: number, interval?: duration }');
  }
  return t as ThrottleConfig;
}

type Probe = (tenant: Tenant) => Promise<number>;

/** Runs the probe query on a short-lived connection to the tenant's server (its database). */
export function sqlProbe(query: string): Probe {
  return async (tenant) => {
    const adapter = getAdapter(tenant.dialect);
    const knex = knexFactory({
      ...adapter.knexConfig(tenant, { timeouts: { lockTimeoutMs: 0, statementTimeoutMs: 0 } }),
      pool: { min: 0, max: 1 },
      log: SILENT_KNEX_LOG,
    });
    try {
      const rows = adapter.rowsOf(await knex.raw(query));
      const first = rows[0] ? Object.values(rows[0])[0] : undefined;
      const value = Number(first);
      if (!Number.isFinite(value))
        throw new Error(`the throttle probe returned ${JSON.stringify(first)}, not a number`);
      return value;
    } finally {
      await knex.destroy();
    }
  };
}

/** Sleeps `ms`, or until `signal` aborts; the abort listener is removed either way (a throttled host
 * re-probes every interval for as long as it stays over threshold: one listener left per round leaks). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The scheduler's `beforeStart` hook: waits while the host's probe is over threshold. A probe that
 * errors counts as over threshold (an unreachable or overloaded server is no place to start a tenant),
 * and says why.
 */
export function createThrottle(
  config: ThrottleConfig,
  tenantsByHost: Map<string, Tenant>,
  emit: (e: FleetEvent) => void,
  probe: Probe = sqlProbe(config.query),
) {
  const intervalMs = parseDuration(config.interval ?? '5s');
  const cacheMs = parseDuration(config.cacheFor ?? intervalMs);
  const last = new Map<string, { at: number; ok: boolean; reason: string }>();
  const throttled = new Set<string>();

  const inFlight = new Map<string, Promise<{ at: number; ok: boolean; reason: string }>>();
  const check = (host: string) => {
    const cached = last.get(host);
    if (cached && Date.now() - cached.at < cacheMs) return Promise.resolve(cached);
    let pending = inFlight.get(host);
    if (!pending) {
      pending = probeHost(host).finally(() => inFlight.delete(host));
      inFlight.set(host, pending);
    }
    return pending;
  };

  const probeHost = async (host: string) => {
    const tenant = tenantsByHost.get(host);
    if (!tenant) return { at: Date.now(), ok: true, reason: '' };
    let result: { at: number; ok: boolean; reason: string };
    try {
      const value = await probe(tenant);
      result = {
        at: Date.now(),
        ok: value <= config.max,
        reason: `probe returned ${value} > max ${config.max}`,
      };
    } catch (err) {
      result = { at: Date.now(), ok: false, reason: `probe failed: ${errorMessage(err)}` };
    }
    last.set(host, result);
    return result;
  };

  return async (host: string, signal?: AbortSignal): Promise<void> => {
    for (;;) {
      if (signal?.aborted) return;
      const result = await check(host);
      if (result.ok) {
        if (throttled.delete(host)) emit({ type: 'host:resumed', host });
        return;
      }
      if (!throttled.has(host)) {
        throttled.add(host);
        emit({ type: 'host:throttled', host, reason: result.reason });
      }
      await sleep(intervalMs, signal);
    }
  };
}
