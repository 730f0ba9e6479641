import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { errorMessage, UsageError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { SILENT_KNEX_LOG } from '../dialect/pinned-knex.js';
import { parsePostgresConnection } from '../dialect/postgres/connection.js';
import { CLIENT_KEEPALIVE } from '../dialect/postgres/liveness-options.js';
import { withPostgresSetupLock } from '../dialect/postgres/setup-lock.js';
import { durableSqliteKnexConfig } from '../dialect/sqlite/durable-file.js';
import { withSqliteWriteLock } from '../dialect/sqlite/write-lock.js';
import { inFileTurn } from './file-turns.js';
import { checkJournalPages, isJournalDamage, journalDamaged } from './integrity.js';
import { ensureJournalSchema } from './schema.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * A URL of another scheme is refused rather than taken for a relative path: `sqlite:///var/x.db` was
 * journaled into ./sqlite:/var/x.db, where no report looks, and `mssql://user:pw@host/db` put the
 * password into a folder name.
 */
export function checkJournalTarget(target: string): void {
  // An empty path resolved to the working folder and failed later as `cannot open the journal : …`.
  if (typeof target !== 'string' || target.trim() === '')
    throw new UsageError(
      `journal must be a SQLite file path or a postgres:// URL (got ${JSON.stringify(target) ?? String(target)})`,
    );
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !POSTGRES_URL.test(target))
    throw new UsageError(`the journal is a SQLite file path or a postgres:// URL, not ${target}`);
}

/**
 * Opens (creating if needed) the journal: a SQLite file path, or a `postgres://` control database URL.
 * `checkPages`: a SQLite file's pages are checked first (see checkJournalPages) — by the commands that
 * record changes to tenants in it. A control database has no such cheap check (amcheck is an extension,
 * and checks one relation at a time; data checksums, when on, fail only the read of a damaged page).
 */
export async function openJournalDatabase(
  target: string,
  options: { checkPages?: boolean } = {},
): Promise<Knex> {
  checkJournalTarget(target);
  let knex: Knex;
  // Two runs may open a new journal at once (two library calls, two CLI processes sharing a control
  // database): its tables are created under a lock, so the second waits and finds them made.
  let ensureSchema: () => Promise<void>;
  let file: string | undefined;
  if (POSTGRES_URL.test(target)) {
    let parsed: ReturnType<typeof parsePostgresConnection>;
    try {
      parsed = parsePostgresConnection(target);
    } catch (err) {
      throw new UsageError(`journal: ${errorMessage(err)}`);
    }
    registerSecret(parsed.connection.password);
    const pgKnex = knexFactory({
      client: 'pg',
      // Keepalives: a journal connection to a vanished server breaks instead of hanging the run.
      connection: { ...parsed.connection, application_name: 'dbfleet-journal', ...CLIENT_KEEPALIVE },
      pool: { min: 0, max: 1 },
      // knex would print "Acquire connection error" and a stack on stdout (next to --json); the
      // failure reaches the user once, as the UsageError below.
      log: SILENT_KNEX_LOG,
    });
    knex = pgKnex;
    ensureSchema = () => withPostgresSetupLock(pgKnex, 'journal schema', ensureJournalSchema);
  } else {
    const path = resolve(target);
    file = path;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new UsageError(`cannot create the journal folder for ${path}: ${errorMessage(err)}`);
    }
    const sqliteKnex = knexFactory({ ...durableSqliteKnexConfig(path), log: SILENT_KNEX_LOG });
    knex = sqliteKnex;
    ensureSchema = async () => {
      // Before the schema is ensured, which may write (a table an older journal lacks).
      if (options.checkPages) await checkJournalPages(sqliteKnex, path);
      await inFileTurn(path, () => withSqliteWriteLock(sqliteKnex, () => ensureJournalSchema(sqliteKnex)));
    };
  }
  try {
    await ensureSchema();
  } catch (err) {
    await knex.destroy().catch(() => {});
    if (err instanceof UsageError) throw err;
    if (file !== undefined && isJournalDamage(err)) throw journalDamaged(file, [errorMessage(err)]);
    throw new UsageError(`cannot open the journal ${target}: ${errorMessage(err)}`);
  }
  return knex;
}
