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
] as const;

/**
 * The configuration's own knex settings, for every tenant's knex instance: a migration reads
 * `knex.client.config.client`, `.migrations` and `.searchPath` as it would under knex, and
 * `wrapIdentifier` / `postProcessResponse` apply to its queries. `connection` and `pool` are not passed:
 * dbfleet connects each tenant itself (the knexfile's connection is the inventory's default instead).
 */
export function knexSettingsOf(config: ValidConfig): KnexSettings | undefined {
  const raw = config as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const key of PASSED_TO_KNEX) if (raw[key] !== undefined) settings[key] = raw[key];
  if (typeof raw.client === 'string') settings.client = raw.client;
  return Object.keys(settings).length > 0 ? (settings as KnexSettings) : undefined;
}
