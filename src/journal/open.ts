import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { parsePostgresConnection } from '../dialect/postgres/connection.js';
import { durableSqliteKnexConfig } from '../dialect/sqlite/durable-file.js';
import { errorMessage, UsageError } from '../util/errors.js';
import { registerSecret } from '../util/redact.js';
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
      connection: { ...parsed.connection, application_name: 'dbfleet-journal' },
      pool: { min: 0, max: 1 },
    });
  } else {
    const file = resolve(target);
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new UsageError(`cannot create the journal folder for ${file}: ${errorMessage(err)}`);
    }
    knex = knexFactory(durableSqliteKnexConfig(file));
  }
  try {
    await ensureJournalSchema(knex);
  } catch (err) {
    await knex.destroy().catch(() => {});
    throw new UsageError(`cannot open the journal ${target}: ${errorMessage(err)}`);
  }
  return knex;
}
