// The one description of a fleet configuration: `FleetConfig` (types.ts) is derived from it, and the
// loader checks every file against it. Every object is strict: a key that is neither dbfleet's nor
// knex's is a typo, refused with a suggestion (issues.ts), never ignored.
import { z } from 'zod';
import type { InventorySource } from '../inventory/load.js';
import { isPlainObject } from './environment.js';
import type { DBFLEET_KEYS, KNEX_KEYS } from './keys.js';
import { knexShape } from './schema-knex.js';
import { checksSetting, duration, hooksObject, throttleObject } from './schema-upgrade.js';

const isInventorySource = (value: unknown) =>
  Array.isArray(value) ||
  typeof value === 'function' ||
  (isPlainObject(value) && ('file' in value || 'catalog' in value || 'discover' in value));

const dbfleetShape = {
  /** Where tenants come from: a list, `{ file }`, `{ catalog }`, `{ discover }`, or a function returning a list. */
  inventory: z
    .custom<InventorySource>(isInventorySource, {
      error: 'must be a list of tenants, { file }, { catalog }, { discover } or a function',
    })
    .optional(),
  /** The optimizations folder (default `optimizations`). */
  optimizations: z
    .union(
      [
        z.string(),
        z.strictObject({
          /** Relative to the configuration file's folder. */
          directory: z.string().optional(),
        }),
      ],
      { error: 'must be a folder or { directory }' },
    )
    .optional(),
  /** The backup folder (default `.dbfleet/backups`) and how many verified backups to keep. */
  backups: z
    .union(
      [
        z.string(),
        z.strictObject({
          directory: z.string().optional(),
          /** Keep the newest n verified backups per tenant. */
          keep: z.number().int().positive().optional(),
        }),
      ],
      { error: 'must be a folder or { directory, keep }' },
    )
    .optional(),
  /** A SQLite file path (default `.dbfleet/journal.db`) or a `postgres://` URL. */
  journal: z.string().optional(),
  /** Tenants in flight across the fleet (default 8). */
  concurrency: z.number().int().positive().optional(),
  /** Tenants in flight per database server (default 4). */
  perHost: z.number().int().positive().optional(),
  /** Durations take `5s`, `500ms`, `2m`, or milliseconds. */
  timeouts: z
    .strictObject({
      /** PostgreSQL lock_timeout / SQL Server LOCK_TIMEOUT / SQLite busy_timeout per migration session. */
      lock: duration.optional(),
      /** statement_timeout per migration session (0 = none). */
      statement: duration.optional(),
      /** How long to wait for another runner's lock on a tenant before skipping it (0 = skip at once). */
      lockWait: duration.optional(),
      /** Driver request timeout (SQL Server). */
      request: duration.optional(),
    })
    .optional(),
  /** SQL, a list of SQL, or `(knex, { tenant, runId }) => …`: `beforeTenant`, `afterTenant`. */
  hooks: hooksObject.optional(),
  /** A folder of smoke checks, or a list of `{ name, sql }` / `{ name, run(knex, ctx) }`. */
  checks: checksSetting.optional(),
  /** `{ query, max, interval? }`: hold a host's tenants while `query` returns more than `max`. */
  throttle: throttleObject.optional(),
};

/**
 * A fleet configuration: dbfleet's keys, knex's keys, or both in one file. Relative paths resolve
 * against the file's folder. (An environment-keyed knexfile is reduced to one of these first.)
 */
export const configSchema = z.strictObject({
  ...dbfleetShape,
  ...knexShape,
} satisfies Record<(typeof DBFLEET_KEYS)[number] | (typeof KNEX_KEYS)[number], z.ZodType>);
