import type { KnexSettings } from '../dialect/types.js';
import type { ValidConfig } from './types.js';

/** The knexfile keys that shape what a migration sees on `knex.client.config` and how queries compile. */
const PASSED_TO_KNEX = [
  'migrations',
  'searchPath',
  'useNullAsDefault',
  'wrapIdentifier',
  'postProcessResponse',
  'asyncStackTraces',
  'compileSqlOnError',
  'jsonbSupport',
  // Compiles timestamp and datetime columns with this precision when a migration gives none.
  'defaultDateTimePrecision',
  'version',
  // Where knex's own warnings go (createTableIfNotExists, a deprecated call): the user's logger, as under knex.
  'log',
] as const;

/**
 * The configuration's own knex settings, for every tenant's knex instance: a migration reads
 * `knex.client.config.client`, `.migrations` and `.searchPath` as it would under knex, and
 * `wrapIdentifier` / `postProcessResponse` apply to its queries. `connection` and the pool's sizes are not
 * passed: dbfleet connects each tenant itself (the knexfile's connection is the inventory's default
 * instead); `pool.afterCreate` is, and runs on each tenant connection.
 */
export function knexSettingsOf(config: ValidConfig): KnexSettings | undefined {
  const raw = config as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const key of PASSED_TO_KNEX) if (raw[key] !== undefined) settings[key] = raw[key];
  if (typeof raw.client === 'string') settings.client = raw.client;
  // Of `pool`, only `afterCreate` (a knexfile's per-connection SETs): dbfleet sizes the pool itself.
  const afterCreate = (raw.pool as { afterCreate?: unknown } | undefined)?.afterCreate;
  if (typeof afterCreate === 'function') settings.pool = { afterCreate };
  return Object.keys(settings).length > 0 ? (settings as KnexSettings) : undefined;
}
