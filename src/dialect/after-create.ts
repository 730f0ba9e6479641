import type { Knex } from 'knex';

/** knex's `pool.afterCreate(connection, done)`: run on every new raw connection before it is used. */
export type AfterCreate = (
  connection: unknown,
  done: (err?: Error | null, connection?: unknown) => void,
) => void;

/** The knexfile's `pool.afterCreate`, the one pool setting dbfleet keeps (it owns the pool's sizes). */
export function afterCreateOf(config: Knex.Config): AfterCreate | undefined {
  const hook = (config.pool as { afterCreate?: unknown } | undefined)?.afterCreate;
  return typeof hook === 'function' ? (hook as AfterCreate) : undefined;
}

/**
 * Runs the hook on a connection dbfleet opened itself (knex runs it on connections from its own pool):
 * a knexfile's `SET timezone …` or `SET ROLE …` applies to what a migration does, as under knex.
 */
export function runAfterCreate(hook: AfterCreate, connection: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      hook(connection, (err) => (err ? reject(err) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
}
