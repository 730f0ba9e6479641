import type { Knex } from 'knex';

/**
 * Within one process, writes to one SQLite journal file take turns here.
 *
 * better-sqlite3 waits for another connection's write lock by sleeping the thread (its busy timeout).
 * Two journals open on one file in one process — two library runs at once sharing a journal — then block
 * each other: the waiter sleeps the whole process, so the holder, whose COMMIT is a later await away,
 * never gets to commit; after the timeout the waiter's batch fails and that run's rows are lost. Taking
 * turns in the event loop first leaves the database lock to other processes, where the busy timeout
 * does its job.
 */
const tails = new Map<string, Promise<void>>();

export async function inFileTurn<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (file === undefined) return fn();
  const before = tails.get(file) ?? Promise.resolve();
  let release = () => {};
  const mine = new Promise<void>((done) => {
    release = done;
  });
  // Every link only ever resolves, so one failed turn never stops the ones behind it.
  const tail = before.then(() => mine);
  tails.set(file, tail);
  await before;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(file) === tail) tails.delete(file);
  }
}

/** The file of a SQLite journal's knex (its turns' key); undefined for a PostgreSQL control database. */
export function journalFileOf(knex: Knex): string | undefined {
  const config = (knex.client as { config: { client?: unknown; connection?: { filename?: unknown } } })
    .config;
  if (config.client !== 'better-sqlite3') return undefined;
  const file = config.connection?.filename;
  return typeof file === 'string' ? file : undefined;
}
