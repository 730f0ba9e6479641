import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { disableKnexProcessing } from '../knex-processing.js';
import { SILENT_KNEX_LOG } from '../pinned-knex.js';
import type { OverflowConnections } from './overflow-connections.js';

/** The tenant's one connection, flagged the way knex flags its own when it errors or ends. */
export type PinnedConnection = pg.Client & { __knex__disposed?: unknown };

/**
 * Opens the tenant's connection with `pg` directly. The session's own statements (lock, catalog lookup,
 * history read) go straight to it; a knex instance over the same connection is made only when something
 * needs knex (a migration, a query builder). A tenant with nothing to do then never pays for one: a knex
 * instance with its client and ~170 bound methods costs more CPU than the tenant's queries.
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

/**
 * A `pg.Pool` look-alike for knex's public `connectionPool` option (knex 3.3) that hands out the session's
 * pinned connection: knex then builds its ordinary PostgreSQL client — `client.config` is the user's
 * configuration with `client: 'pg'`, transactions are knex's own — and its queries land on the connection
 * that holds the tenant's lock, search_path and timeouts.
 *
 * knex gives a connection back through the connection's own `release` (pg.Pool's convention), so the
 * pinned one gets a `release` that only marks it free: it stays open until the session ends it. While it
 * is checked out — a transaction holds it — a second acquire gets one of the `overflow` connections, as
 * knex's pool would give another connection: a `transaction: false` migration's parallel transactions, or
 * a query beside an open one, must not run inside each other's transaction.
 *
 * A broken pinned connection is not replaced: that would silently drop the session's lock and settings,
 * so every later acquire fails with the original error instead. "Broken" is `__knex__disposed`, set by the
 * listeners above and by knex itself on a `.timeout()` without cancel (the server is still running that
 * query); knex 3.3.0's field name and `release` call are pinned by
 * test/integration/pinned-connection.test.ts and the conformance corpus.
 */
function pinnedPool(connection: PinnedConnection, overflow: OverflowConnections): Knex.PgPoolLike {
  let checkedOut = false;
  Object.defineProperty(connection, 'release', {
    configurable: true,
    value: () => {
      checkedOut = false;
    },
  });
  return {
    connect() {
      const disposed = connection.__knex__disposed;
      if (disposed) return Promise.reject(disposed instanceof Error ? disposed : new Error(String(disposed)));
      if (checkedOut) return overflow.connect();
      checkedOut = true;
      return Promise.resolve(connection);
    },
    end: () => Promise.resolve(),
    totalCount: 1,
    idleCount: 0,
    waitingCount: 0,
  };
}

/** A copy of the connection settings whose password, as in knex's own client, is not enumerable. */
function withHiddenPassword(settings: Record<string, unknown>): Record<string, unknown> {
  const { password, ...rest } = settings;
  if (password !== undefined) Object.defineProperty(rest, 'password', { value: password, enumerable: false });
  return rest;
}

/**
 * A knex instance over the pinned connection, configured exactly as the user's knex would be (search_path
 * and timeouts were set when the connection opened).
 *
 * knex refuses `connection` beside `connectionPool`, so the connection settings go onto the client after
 * it is built. `client.config.connection` is what a migration reads under knex — here without the
 * password, which no migration needs and none should be able to log. `connectionSettings` keeps it
 * (hidden, as knex hides it): knex's PostgreSQL client opens the short-lived second connection that
 * `.timeout(ms, { cancel: true })` cancels over from it (the pinned one is busy with the query). Both are
 * pinned by test/integration/knex-fidelity.test.ts, test/conformance/ and
 * test/integration/pinned-connection.test.ts.
 */
export function knexOver(
  connection: PinnedConnection,
  config: Knex.Config,
  overflow: OverflowConnections,
): Knex {
  const { connection: settings, ...rest } = config;
  const knex = knexFactory({
    ...rest,
    connectionPool: pinnedPool(connection, overflow),
    // A knexfile's own `log` gets knex's warnings, as under knex; otherwise they stay out of the output.
    log: rest.log ?? SILENT_KNEX_LOG,
  });
  const client = knex.client as Knex.Client & { connectionSettings: unknown };
  const { password: _notForMigrations, ...visible } = settings as Record<string, unknown>;
  client.config.connection = visible as Knex.StaticConnectionConfig;
  client.connectionSettings = withHiddenPassword(settings as Record<string, unknown>);
  disableKnexProcessing(knex);
  return knex;
}
