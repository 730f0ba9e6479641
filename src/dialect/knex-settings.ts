import type { Knex } from 'knex';
import type { KnexSettings } from './types.js';

/**
 * The user's knex settings for a tenant's knex instance: everything but `client` as given, and the
 * client name the user wrote when it is one of this dialect's (`'postgresql'` stays `'postgresql'`, as
 * a migration testing `client.config.client` expects), else the dialect's own.
 */
export function userKnexConfig(
  settings: KnexSettings | undefined,
  clientNames: readonly string[],
): Knex.Config & { client: string } {
  const { client, ...rest } = settings ?? {};
  const own = typeof client === 'string' && clientNames.includes(client) ? client : clientNames[0]!;
  return { ...rest, client: own };
}
