import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { errorMessage, UsageError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { SILENT_KNEX_LOG } from '../dialect/pinned-knex.js';
import { parsePostgresConnection } from '../dialect/postgres/connection.js';
import { CLIENT_KEEPALIVE } from '../dialect/postgres/liveness-options.js';
import { durableSqliteKnexConfig } from '../dialect/sqlite/durable-file.js';
import { ensureJournalSchema } from './schema.js';

/** Opens (creating if needed) the journal: a SQLite file path, or a `postgres://` control database URL. */
export async function openJournalDatabase(target: string): Promise<Knex> {
  let knex: Knex;
  if (/^postgres(ql)?:\/\//i.test(target)) {
    let parsed: ReturnType<typeof parsePostgresConnection>;
    try {
      parsed = parsePostgresConnection(target);
    } catch (err) {
      throw new UsageError(`--journal: ${errorMessage(err)}`);
    }
    registerSecret(parsed.connection.password);
    knex = knexFactory({
      client: 'pg',
      // Keepalives: a journal connection to a vanished server breaks instead of hanging the run.
      connection: { ...parsed.connection, application_name: 'dbfleet-journal', ...CLIENT_KEEPALIVE },
      pool: { min: 0, max: 1 },
      // knex would print "Acquire connection error" and a stack on stdout (next to --json); the
      // failure reaches the user once, as the UsageError below.
      log: SILENT_KNEX_LOG,
    });
  } else {
    const file = resolve(target);
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new UsageError(`cannot create the journal folder for ${file}: ${errorMessage(err)}`);
    }
    knex = knexFactory({ ...durableSqliteKnexConfig(file), log: SILENT_KNEX_LOG });
  }
  try {
    await ensureJournalSchema(knex);
  } catch (err) {
    await knex.destroy().catch(() => {});
    throw new UsageError(`cannot open the journal ${target}: ${errorMessage(err)}`);
  }
  return knex;
}
