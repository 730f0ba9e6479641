import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import pg from 'pg';
import { createPinnedKnex } from '../pinned-knex.js';

/** The tenant's one connection, flagged the way knex flags its own when it errors or ends. */
export type PinnedConnection = pg.Client & { __knex__disposed?: unknown };

/**
 * Opens the tenant's connection with `pg` directly. The session's own statements (lock, catalog lookup,
 * history read) go straight to it; a knex instance over the same connection is made only when something
 * needs knex (a migration, a query builder). A tenant with nothing to do then never pays for one: a knex
 * instance with its client, tarn pool and ~170 bound methods cost more CPU than the tenant's queries.
 */
export async function connectPinned(settings: Record<string, unknown>): Promise<PinnedConnection> {
  const connection = new pg.Client(settings as pg.ClientConfig) as PinnedConnection;
  // Without a listener an idle connection's error would crash the process; the next query reports it.
  connection.on('error', (err) => {
    connection.__knex__disposed = err;
  });
  connection.on('end', () => {
    connection.__knex__disposed ??= new Error('the connection ended unexpectedly');
  });
  await connection.connect();
  return connection;
}

const require = createRequire(import.meta.url);
type KnexClientClass = new (
  config: Knex.Config,
) => {
  config: Knex.Config & { pinnedConnection?: PinnedConnection };
};
const KnexPostgresClient = require('knex/lib/dialects/postgres/index.js') as KnexClientClass;

/**
 * knex's PostgreSQL client whose pool "creates" the already open connection and never ends it (the
 * session does). A connection that broke is not replaced: that would silently drop the session's lock
 * and settings, so every later query fails with the original error instead.
 */
class PinnedPostgresClient extends KnexPostgresClient {
  acquireRawConnection(): Promise<PinnedConnection> {
    const connection = this.config.pinnedConnection!;
    const disposed = connection.__knex__disposed;
    if (disposed) return Promise.reject(disposed instanceof Error ? disposed : new Error(String(disposed)));
    return Promise.resolve(connection);
  }

  destroyRawConnection(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * `.timeout(ms, { cancel: true })` in a migration: knex cancels over a fresh connection, which here
   * would be the pinned one, busy with the very query to cancel. A short-lived second one does it.
   */
  async cancelQuery(connectionToKill: { processID?: number }): Promise<void> {
    const canceller = new pg.Client(this.config.connection as pg.ClientConfig);
    canceller.on('error', () => {});
    await canceller.connect();
    try {
      await canceller.query('select pg_cancel_backend($1)', [connectionToKill.processID]);
    } finally {
      await canceller.end().catch(() => {});
    }
  }
}

/** A knex instance over the pinned connection (search_path and timeouts were set when it opened). */
export function knexOver(connection: PinnedConnection, config: Knex.Config): Knex {
  const { searchPath: _alreadySet, ...rest } = config as Knex.Config & { searchPath?: unknown };
  return createPinnedKnex({
    ...rest,
    client: PinnedPostgresClient as unknown as typeof Knex.Client,
    pinnedConnection: connection,
  } as Knex.Config);
}
