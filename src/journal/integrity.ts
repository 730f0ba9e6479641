import type { Knex } from 'knex';
import { errorMessage, UsageError } from '../core/errors.js';
import { quickCheck } from '../dialect/sqlite/quick-check.js';

/** SQLite's answer when a page it reads is damaged, or the file is no database at all. */
export function isJournalDamage(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** How many of quick_check's findings the message shows (one damaged page yields one per cell). */
const SHOWN = 3;

/**
 * The usage error for a damaged SQLite journal: where it is, what SQLite found, and the way on. Its
 * -wal and -shm files go with it: a -wal left beside a new journal's name would be replayed into it.
 */
export function journalDamaged(file: string, findings: readonly string[]): UsageError {
  const more = findings.length > SHOWN ? `; and ${findings.length - SHOWN} more` : '';
  return new UsageError(
    `the journal ${file} is damaged (SQLite: ${findings.slice(0, SHOWN).join('; ')}${more}); nothing was changed. Move it aside, with its -wal and -shm files if any (mv ${file} ${file}.damaged), and run again: a new journal is started. The backups and their manifests stay in the backup folder, where \`dbfleet restore\` finds them; \`sqlite3 ${file}.damaged .recover\` may save the runs it recorded.`,
  );
}

/**
 * Checks a SQLite journal's pages before a command that changes tenants records into it. A file SQLite
 * opens can still be damaged (bytes overwritten in its middle): the run's first write into a damaged
 * page failed only after the first tenant had been closed for maintenance — its changes without a
 * durable record — or went through, and a later `--resume` or `rollback --run` read the damaged rows.
 * `quick_check` reads every page once (it skips integrity_check's matching of indexes against rows):
 * ~10–20 ms on a journal of a few thousand rows (1 MB), 0.4–0.75 s on a 90 MB one, on a slow VM. Damage
 * inside a row's text (a JSON column) is not structural and stays unseen.
 */
export async function checkJournalPages(knex: Knex, file: string): Promise<void> {
  let findings: string[];
  try {
    findings = await quickCheck(knex);
  } catch (err) {
    // A page too damaged to walk fails the check itself rather than listing it.
    if (!isJournalDamage(err)) throw err;
    findings = [errorMessage(err)];
  }
  if (findings.length === 1 && findings[0] === 'ok') return;
  throw journalDamaged(file, findings);
}
