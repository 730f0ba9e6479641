import type { Knex } from 'knex';

/**
 * knex settings for a small SQLite file that must survive `kill -9` of the writer (the journal):
 * WAL, synchronous=NORMAL (a committed transaction survives a process crash; only a power loss can
 * lose the last ones), and a busy timeout so two runners sharing a journal wait instead of failing.
 */
export function durableSqliteKnexConfig(filename: string): Knex.Config {
  return {
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (db: { pragma(sql: string): unknown }, done: (err: Error | null, db: unknown) => void) => {
        try {
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = NORMAL');
          db.pragma('busy_timeout = 10000');
          done(null, db);
        } catch (err) {
          done(err as Error, db);
        }
      },
    },
  };
}
