import type { InventorySource } from '../inventory/load.js';

/**
 * The fleet configuration a `knexfile.ts` (or `.js`, `.mjs`, `.json`) exports as its default export.
 * Relative paths resolve against the configuration file's folder. Durations take `5s`, `500ms`, `2m`.
 */
export interface FleetConfig {
  inventory?: InventorySource;
  migrations?: string | { directory?: string; allowOutOfOrder?: boolean };
  optimizations?: string | { directory?: string };
  backups?: string | { directory?: string; keep?: number };
  /** A SQLite file path (default `.dbfleet/journal.db`) or a `postgres://` URL. */
  journal?: string;
  concurrency?: number;
  perHost?: number;
  timeouts?: {
    /** PostgreSQL lock_timeout / SQL Server LOCK_TIMEOUT / SQLite busy_timeout per migration session. */
    lock?: string | number;
    /** statement_timeout per migration session (0 = none). */
    statement?: string | number;
    /** How long to wait for another runner's lock on a tenant before skipping it (0 = skip at once). */
    lockWait?: string | number;
    /** Driver request timeout (SQL Server). */
    request?: string | number;
  };
  /** Anything else (knex's own `client`, `connection`, hooks and checks of later features) is kept as is. */
  [key: string]: unknown;
}

/** Typed identity helper for config modules: `export default defineConfig({ … })`. */
export function defineConfig<T extends FleetConfig>(config: T): T {
  return config;
}
