import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Knex } from 'knex';
import { errorMessage, UsageError } from '../core/errors.js';
import { isJournalDamage, journalDamaged } from './integrity.js';
import { Journal } from './journal.js';
import { checkJournalTarget, openJournalDatabase } from './open.js';

/** Where a run is journaled: a SQLite path or `postgres://` URL, or an open Journal. */
export type JournalTarget = string | Journal;

export const isJournalUrl = (target: string) => /^postgres(ql)?:\/\//i.test(target);

/**
 * Runs `fn` with the journal. A path or URL is opened here and closed when `fn` settles; an open Journal
 * belongs to the caller and stays open (one run at a time on it: a Journal records one run's events).
 */
export async function withOpenJournal<T>(
  target: JournalTarget,
  fn: (journal: Journal) => Promise<T>,
): Promise<T> {
  if (typeof target !== 'string') return fn(target);
  const journal = await Journal.open(target);
  try {
    return await fn(journal);
  } finally {
    await journal.close();
  }
}

/**
 * Runs `fn` on the journal's database to read it. Reading never creates: a path that does not exist is a
 * usage error, not a new empty journal. An open Journal is read through its own connection. A SQLite
 * file's pages are not checked up front (a report changes nothing, and quick_check reads the whole
 * file): a damaged page a read comes upon is the usage error that names the journal and the way on.
 */
export async function readJournal<T>(target: JournalTarget, fn: (knex: Knex) => Promise<T>): Promise<T> {
  if (typeof target !== 'string') return fn(target.knex);
  checkJournalTarget(target);
  if (!isJournalUrl(target) && !existsSync(resolve(target)))
    throw new UsageError(`no journal at ${resolve(target)}`);
  const knex = await openJournalDatabase(target);
  try {
    return await fn(knex);
  } catch (err) {
    if (!isJournalUrl(target) && isJournalDamage(err))
      throw journalDamaged(resolve(target), [errorMessage(err)]);
    throw err;
  } finally {
    await knex.destroy();
  }
}
