import type { Knex } from 'knex';

/** 'dbjs' — the first key of the lock dbfleet takes while it creates its own tables in a database. */
const SETUP_LOCK_CLASS = 0x64626a73;

/**
 * Runs `fn` in one transaction that first takes a transaction-level advisory lock named by `key`: a
 * second caller (another run of this process, another process) waits until the first has committed and
 * then sees what it created. `create table if not exists` would not do: two of them at once still
 * collide on the catalog's unique indexes. The lock goes with the transaction, committed or not.
 */
export function withPostgresSetupLock<T>(
  knex: Knex,
  key: string,
  fn: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?, hashtext(?))', [SETUP_LOCK_CLASS, key]);
    return fn(trx);
  });
}
