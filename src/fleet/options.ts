import type { EventListener } from '../core/events.js';
import type { HistoryOptions } from '../core/history-options.js';
import type { Tenant } from '../core/tenant.js';
import type { KnexSettings, SessionOptions, Timeouts } from '../dialect/types.js';

/** What every fleet operation takes, already resolved (the CLI resolves config + flags into this). */
export interface FleetOptions {
  /** The selected tenants (see `loadInventory` and `selectTenants`). */
  tenants: readonly Tenant[];
  /** Tenants in flight across the fleet (default 8). */
  concurrency?: number;
  /** Tenants in flight per server (default 4). */
  perHost?: number;
  timeouts?: Partial<Timeouts>;
  /** How long to wait for another runner's lock on a tenant before reporting it skipped (default 0). */
  lockWaitMs?: number;
  /** Driver request timeout (SQL Server; default none). */
  requestTimeoutMs?: number;
  onEvent?: EventListener;
  /** Abort: no new tenant starts; in-flight tenants stop after their current step. */
  signal?: AbortSignal;
  /** The knexfile's own knex settings, seen by migrations on `knex.client.config` as under knex. */
  knex?: KnexSettings;
  /** knex's `migrations.tableName` / `schemaName`: where each tenant's history lives (default knex's). */
  history?: HistoryOptions;
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_PER_HOST = 4;
/** A migration waiting longer than this for a table lock fails instead of blocking the table's traffic. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
/** A safety net against a runaway statement; migrations override it with `config.statementTimeout`. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10 * 60_000;

export function resolveTimeouts(timeouts: Partial<Timeouts> = {}): Timeouts {
  return {
    lockTimeoutMs: timeouts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    statementTimeoutMs: timeouts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
  };
}

export function sessionOptionsOf(options: FleetOptions): SessionOptions {
  return {
    timeouts: resolveTimeouts(options.timeouts),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.knex ? { knex: options.knex } : {}),
  };
}

export function fanOutOf(options: FleetOptions) {
  return {
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    perHost: options.perHost ?? DEFAULT_PER_HOST,
    sessionOptions: sessionOptionsOf(options),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}
