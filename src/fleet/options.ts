import type { EventListener } from '../core/events.js';
import type { HistoryOptions } from '../core/history-options.js';
import type { Tenant } from '../core/tenant.js';
import type { KnexSettings, SessionOptions, Timeouts } from '../dialect/types.js';
import type { JournalTarget } from '../journal/use.js';
import { checkFleetOptions } from './check-options.js';
import { asObserver } from './observer.js';
import type { RemoteRunner } from './run-fleet.js';

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
  /**
   * Record the run in this journal (a SQLite path or `postgres://` URL, opened and closed by the run, or
   * an open `Journal` the caller owns, one run at a time), so `dbfleet report` shows it; the report then
   * carries its `runId`. Without it nothing is written. Read-only commands (status, plan, drift) never
   * journal.
   */
  journal?: JournalTarget;
  /**
   * Run each tenant's task on queue workers instead of in this process (see `openCoordinator`): this
   * process becomes the coordinator, and `concurrency` and `perHost` hold across all workers together.
   */
  remote?: RemoteRunner;
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
    askedTimeouts: { ...options.timeouts },
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.knex ? { knex: options.knex } : {}),
  };
}

export function fanOutOf(options: FleetOptions) {
  checkFleetOptions(options);
  return {
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    perHost: options.perHost ?? DEFAULT_PER_HOST,
    sessionOptions: sessionOptionsOf(options),
    ...(options.onEvent ? { onEvent: asObserver(options.onEvent) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.journal !== undefined ? { journal: options.journal } : {}),
    ...(options.remote ? { remote: options.remote } : {}),
  };
}
