import pg from 'pg';
import { type AfterCreate, runAfterCreate } from '../after-create.js';

/**
 * knex's default pool holds up to 10 connections; the pinned one is the first, so up to 9 more. They
 * exist only while a `transaction: false` migration runs work side by side, and close when idle.
 */
const KNEX_DEFAULT_POOL_MAX = 10;
/** knex's default `acquireConnectionTimeout`: how long a query waits for a connection of a full pool. */
const KNEX_DEFAULT_ACQUIRE_TIMEOUT_MS = 60_000;
const IDLE_CLOSE_MS = 10_000;

export interface OverflowConnections {
  /** A connection with the pinned one's session settings; knex gives it back through its `release`. */
  connect(): Promise<pg.PoolClient>;
  end(): Promise<void>;
}

/**
 * The connections knex's own pool would hand out beside the tenant's pinned one: in a migration without
 * a transaction, each `knex.transaction()` and each query beside an open one gets a connection of its own
 * under knex — sharing the pinned connection instead would put them inside each other's transactions (a
 * rollback of one undoing the others' work). `settings` are the pinned connection's (start-up options
 * carry its timeouts and search_path); `sessionSql()` is what was SET on the pinned connection since it
 * opened (a migration's own timeouts), replayed on a connection before it is handed out.
 * They never hold the tenant's lock: under knex, its other pooled connections do not either.
 */
export function overflowConnections(
  settings: Record<string, unknown>,
  sessionSql: () => string | undefined,
  afterCreate?: AfterCreate,
  acquireTimeoutMs = KNEX_DEFAULT_ACQUIRE_TIMEOUT_MS,
): OverflowConnections {
  let pool: pg.Pool | undefined;
  const applied = new WeakMap<pg.PoolClient, string | undefined>();
  /** Connections the pool opened that the knexfile's afterCreate has not run on yet. */
  const fresh = new WeakSet<pg.PoolClient>();
  return {
    async connect() {
      if (!pool) {
        pool = new pg.Pool({
          ...(settings as pg.PoolConfig),
          max: KNEX_DEFAULT_POOL_MAX - 1,
          idleTimeoutMillis: IDLE_CLOSE_MS,
          connectionTimeoutMillis: acquireTimeoutMs,
        });
        // An idle connection's error would otherwise crash the process; pg.Pool drops that connection.
        pool.on('error', () => {});
        pool.on('connect', (client) => fresh.add(client as pg.PoolClient));
      }
      const client = await pool.connect();
      if (fresh.has(client)) {
        fresh.delete(client);
        try {
          if (afterCreate) await runAfterCreate(afterCreate, client);
        } catch (err) {
          client.release(true);
          throw err;
        }
      }
      const sql = sessionSql();
      if (applied.get(client) !== sql) {
        try {
          if (sql) await client.query(sql);
        } catch (err) {
          client.release(true);
          throw err;
        }
        applied.set(client, sql);
      }
      return client;
    },
    async end() {
      await pool?.end();
    },
  };
}
