import type { FleetEvent } from '../core/events.js';
import type { HistoryOptions } from '../core/history-options.js';
import type { DialectAdapter, TenantSession, Timeouts } from '../dialect/types.js';
import type { Migration } from './types.js';

/** What migrating one tenant needs: shared by the migrator and the planner that runs before it. */
export interface TenantMigrationOptions {
  session: TenantSession;
  /**
   * Closes `session` under a migration stuck with no query in flight (see idle-bound.ts), so the server
   * rolls its transaction back: the fleet context's `releaseSession`, after which the tenant's next step
   * opens a new session. Absent: `session.close()`.
   */
  closeSession?: () => Promise<void>;
  adapter: DialectAdapter;
  migrations: readonly Migration[];
  directory?: string;
  timeouts: Timeouts;
  /** How long to wait for another runner's lock on this tenant (0 = skip it at once). */
  lockWaitMs: number;
  allowOutOfOrder?: boolean;
  emit: (event: FleetEvent) => void;
  signal?: AbortSignal;
  /** Names with a checksum row already (from the plan): only those need it replaced when applied. */
  recordedChecksums?: ReadonlySet<string>;
  /** knex's tableName/schemaName (default knex_migrations, in the tenant's schema if it has one). */
  history?: HistoryOptions;
  /**
   * Migrations this run already applied to the tenant before it was stopped (a resumed upgrade): the
   * pending ones join their batch, so the run stays one knex batch (`rollback` of the last batch undoes
   * all of it), provided no other batch was recorded since.
   */
  continueBatchOf?: readonly string[];
}

export type MigrateDetails = {
  applied: string[];
  current: string | null;
  pending: string[];
};
