import type { Knex } from 'knex';

/**
 * SQLite's `quick_check` of a database over a knex: its findings, one per line — `['ok']` when every page
 * reads well. It reads each page once (integrity_check also matches indexes against rows). A page too
 * damaged to walk makes the check itself throw (SQLITE_CORRUPT), which the caller decides about.
 */
export async function quickCheck(knex: Knex): Promise<string[]> {
  const rows = (await knex.raw('PRAGMA quick_check')) as { quick_check?: unknown }[];
  return rows
    .flatMap((r) => String(r.quick_check ?? '').split('\n'))
    .filter((line) => line !== '' && !line.startsWith('*** in database'));
}
