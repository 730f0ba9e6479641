import type { Knex } from 'knex';

/**
 * Runs `fn` holding SQLite's write lock from its first statement (`BEGIN IMMEDIATE`), so a second writer
 * waits its busy timeout for the first to commit instead of both reading "not there yet" and both
 * writing. knex's own transactions begin DEFERRED, where two readers that then write fail with
 * SQLITE_BUSY at once (no busy wait) — hence the raw statements.
 * Only for a knex whose pool is one connection (`durableSqliteKnexConfig`): every query `fn` sends through
 * that knex then runs inside the transaction.
 */
export async function withSqliteWriteLock<T>(knex: Knex, fn: () => Promise<T>): Promise<T> {
  await knex.raw('begin immediate');
  try {
    const result = await fn();
    await knex.raw('commit');
    return result;
  } catch (err) {
    await knex.raw('rollback').catch(() => {});
    throw err;
  }
}
