import type { Knex } from 'knex';
import type { Tenant } from '../../core/tenant.js';
import { afterCreateOf, runAfterCreate } from '../after-create.js';
import {
  existingTablesVia,
  readCompleteHistoryVia,
  readHistoryRowsVia,
  recordMigrationVia,
} from '../history-generic.js';
import { userKnexConfig } from '../knex-settings.js';
import { createPinnedKnex } from '../pinned-knex.js';
import type { SessionOptions, TenantSession, Timeouts } from '../types.js';
import {
  appLockResource,
  getAppLockSql,
  interpretGetAppLock,
  interpretReleaseAppLock,
  migrationLockResourceSql,
  releaseAppLockSql,
  releaseIfHeldSql,
} from './applock.js';
import { RECONNECT_REFUSED } from './errors.js';
import { hardenMssqlClient } from './knex-client.js';
import { OwnTransactionTracker } from './own-transaction.js';
import {
  queryBatch,
  type RawConnection,
  runBatch,
  type TediousLike,
  withRawConnection,
} from './raw-connection.js';
import { runGoScript } from './run-script.js';
import { readMssqlShape } from './schema-shape.js';
import { registerSession } from './session-registry.js';
import { effectiveRequestTimeout, SessionTimeouts, sessionInitSql } from './session-timeouts.js';
import { ensureSchemaSql, PRODUCT_VERSION_SQL, schemaExistsSql } from './sql/catalog.js';

/**
 * tedious waits this long for the server to acknowledge a cancel before dropping the connection. Its 5 s
 * default is short: the acknowledgement follows the rollback of the cancelled statement, which for a large
 * index build or update takes a while — and a dropped connection leaves the tenant's state unknown.
 */
const CANCEL_TIMEOUT_MS = 60_000;
const CONNECT_TIMEOUT_MS = 15_000;
/** sp_getapplock waits @LockTimeout server-side; the request itself gets this much longer before the driver gives up. */
const LOCK_REQUEST_MARGIN_MS = 30_000;

/** The tenant's own request timeout (`?requestTimeout=` in its URL), used when the run sets none. */
function tenantRequestTimeout(tenant: Tenant): number | undefined {
  const value = (tenant.connection.options as Record<string, unknown> | undefined)?.requestTimeout;
  return typeof value === 'number' ? value : undefined;
}

function baseRequestTimeout(tenant: Tenant, options: SessionOptions): number | undefined {
  return options.requestTimeoutMs ?? tenantRequestTimeout(tenant);
}

export function mssqlKnexConfig(tenant: Tenant, options: SessionOptions): Knex.Config {
  const tenantOptions = (tenant.connection.options ?? {}) as Record<string, unknown>;
  const connection: Record<string, unknown> = {
    ...tenant.connection,
    options: {
      appName: 'dbfleet',
      connectTimeout: CONNECT_TIMEOUT_MS,
      cancelTimeout: CANCEL_TIMEOUT_MS,
      ...tenantOptions,
      // Not overridable: tedious' login then sets XACT_ABORT ON on every connection (and after a reset),
      // and its 15 s request timeout never applies.
      abortTransactionOnError: true,
      requestTimeout: effectiveRequestTimeout(options.timeouts, baseRequestTimeout(tenant, options)),
    },
  };
  return {
    ...userKnexConfig(options.knex, ['mssql']),
    connection: connection as Knex.Config['connection'],
    // Error messages carry the SQL with `?` placeholders, never the bound values.
    compileSqlOnError: false,
  };
}

function reconnectRefused(tenant: Tenant): Error {
  return Object.assign(
    new Error(
      `the connection to tenant ${tenant.id} was lost; its session lock and settings died with it, so dbfleet does not reconnect in the middle of the tenant's pipeline`,
    ),
    { code: RECONNECT_REFUSED },
  );
}

/**
 * Opens the tenant's pinned connection. `driver` replaces tedious (tests use a scripted double).
 * Statement timeouts are request timeouts (session-timeouts.ts); every SQL dbfleet itself sends goes as a
 * plain batch on the pinned connection (raw-connection.ts).
 */
export async function openMssqlSession(
  tenant: Tenant,
  options: SessionOptions,
  driver?: TediousLike,
): Promise<TenantSession> {
  const config = mssqlKnexConfig(tenant, options);
  // The knexfile's own afterCreate runs on the one connection, after the guard below lets it through.
  const userAfterCreate = afterCreateOf(config);
  let connectionsMade = 0;
  const knex = createPinnedKnex({
    ...config,
    pool: {
      // The session lock and the SETs live on the first connection. If it dies, a silent replacement
      // would carry on unlocked, so the pool is not allowed to make another one.
      afterCreate: (connection: RawConnection, done: (err: Error | null, connection?: unknown) => void) => {
        connectionsMade += 1;
        if (connectionsMade === 1) {
          if (!userAfterCreate) return done(null, connection);
          return void runAfterCreate(userAfterCreate, connection).then(
            () => done(null, connection),
            (err: Error) => done(err),
          );
        }
        connection.close();
        done(reconnectRefused(tenant));
      },
    },
  });
  hardenMssqlClient(knex, driver);
  const timeouts = new SessionTimeouts(options.timeouts, baseRequestTimeout(tenant, options));
  // As the inventory spells it, for messages; the lock itself is taken on the server's spelling.
  const resource = appLockResource(tenant.database, tenant.schema);
  const resourceSql = { sql: migrationLockResourceSql(tenant.schema) };
  let held = resource;
  let locked = false;
  const own = new OwnTransactionTracker();

  try {
    await withRawConnection(knex, async (connection, Request) => {
      timeouts.attach(connection, Request);
      await runBatch(connection, Request, sessionInitSql(options.timeouts));
    });
  } catch (err) {
    await knex.destroy().catch(() => {});
    throw err;
  }

  registerSession(knex, { tenant, holdsLock: () => locked });

  return {
    tenant,
    knex,
    async tryLock(waitMs, signal) {
      if (locked) return true;
      // sp_getapplock waits on the server: an abort cancels the request (an attention). Already aborted:
      // one try without waiting.
      const wait = signal?.aborted ? 0 : waitMs;
      let rows: Record<string, unknown>[];
      try {
        ({ rows } = await queryBatch(knex, getAppLockSql(resourceSql, wait), {
          // An endless wait (Infinity, see the restore) has no request timeout either.
          timeoutMs: Number.isFinite(wait) ? Math.max(0, wait) + LOCK_REQUEST_MARGIN_MS : 0,
          signal,
        }));
      } catch (err) {
        if (!signal?.aborted) throw err;
        await queryBatch(knex, releaseIfHeldSql(resourceSql.sql)).catch(() => {});
        return false;
      }
      locked = interpretGetAppLock(rows[0]?.result, resource);
      if (locked && typeof rows[0]?.resource === 'string') held = rows[0].resource;
      return locked;
    },
    // Naming an applock's holder takes sys.dm_tran_locks, readable only with VIEW SERVER STATE, which a
    // migration login seldom has: the LOCKED message stays the general one.
    describeLockHolder: async () => undefined,
    async unlock() {
      if (!locked) return;
      const { rows } = await queryBatch(knex, releaseAppLockSql(held));
      locked = false;
      interpretReleaseAppLock(rows[0]?.result, resource);
    },
    async setTimeouts(t: Timeouts, on: Knex | Knex.Transaction = knex) {
      const scope = on.isTransaction ? 'transaction' : 'session';
      await withRawConnection(on, (connection, Request) => timeouts.apply(connection, Request, t, scope));
    },
    transaction: (fn) => {
      own.began();
      return knex.transaction(fn);
    },
    // dbfleet's BEGIN/SAVEPOINT transaction is PostgreSQL and SQLite syntax: knex's own here.
    shortTransaction: (fn) => knex.transaction(fn),
    // SQL Server has no read-only setting for a session (only for a whole database): `fn` just runs.
    readOnly: (fn) => fn(),
    async endStrayTransaction() {
      const { rows } = await queryBatch(knex, 'SELECT @@TRANCOUNT AS n;');
      if (!(Number((rows[0] as { n?: unknown } | undefined)?.n) > 0)) return false;
      await queryBatch(knex, 'IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;');
      return true;
    },
    ownTransactionEnd: (on, failure) => own.end(on, failure),
    existingTables: (names, schema) => existingTablesVia(knex, names, schema),
    recordMigration: recordMigrationVia,
    readHistoryRows: (tables, schema) => readHistoryRowsVia(knex, tables, schema),
    readCompleteHistory: (tables, schema) => readCompleteHistoryVia(knex, tables, schema),
    async runScript(sql, on = knex) {
      if (on.isTransaction) own.runs(sql);
      await withRawConnection(on, (connection, Request) => runGoScript(connection, Request, sql));
    },
    // Index builds here are all-or-nothing: a failed one leaves no index behind.
    invalidIndexes: async () => [],
    async schemaExists() {
      if (!tenant.schema) return true;
      const { rows } = await queryBatch(knex, schemaExistsSql(tenant.schema));
      return rows[0]?.found === 1;
    },
    // SQL Server has no search_path: schema tenants' migrations qualify their names; the schema must exist.
    async ensureSchema() {
      if (tenant.schema) await queryBatch(knex, ensureSchemaSql(tenant.schema));
    },
    schemaShape: () => readMssqlShape(knex, tenant.schema ?? null),
    async serverVersion() {
      const { rows } = await queryBatch(knex, PRODUCT_VERSION_SQL);
      return String(rows[0]?.product_version ?? '');
    },
    async close() {
      await knex.destroy();
    },
  };
}
