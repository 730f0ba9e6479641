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

/**
 * A knexfile's client name is what knex hands a migration as `knex.client.config.client`, the name
 * migrations written for several databases branch on (`=== 'sqlite3'`; a name they do not know sends them
 * down another database's branch). Where dbfleet built the client under another name of the same dialect
 * (`renamed`: SQLite's `sqlite3`/`sqlite`, built as better-sqlite3, whose driver dbfleet uses), the built
 * instance gets the written name back. knex 3.3.0 reads `config.client` only while it builds the client
 * (client.js, config-resolver.js, and the pg column compiler's cockroachdb test), and a transaction's
 * client shares the config object; test/integration/sqlite-client-name.test.ts pins both.
 */
export function nameClientAsWritten(knex: Knex, written: unknown, renamed: readonly string[] = []): void {
  if (typeof written === 'string' && renamed.includes(written))
    (knex.client as { config: { client: string } }).config.client = written;
}
