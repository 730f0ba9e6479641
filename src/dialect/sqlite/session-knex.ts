import type Database from 'better-sqlite3';
import type { Knex } from 'knex';
import type { Tenant } from '../../core/tenant.js';
import { afterCreateOf, runAfterCreate } from '../after-create.js';
import { nameClientAsWritten, userKnexConfig } from '../knex-settings.js';
import { createPinnedKnex } from '../pinned-knex.js';
import type { SessionOptions } from '../types.js';
import { type BusyWait, waitForFileAsynchronously } from './busy-connections.js';
import { waitForFileInKnex } from './busy-knex.js';

/** knex's other names for its SQLite dialect: `sqlite3` (the `sqlite3` driver's client) and its alias. */
export const RENAMED_SQLITE_CLIENTS = ['sqlite3', 'sqlite'] as const;

export function sqliteKnexConfig(tenant: Tenant, options: SessionOptions): Knex.Config {
  // knex's 'sqlite3' client needs the sqlite3 package; dbfleet drives every SQLite file with better-sqlite3
  // (a knexfile's 'sqlite3' is still what a migration reads: nameClientAsWritten).
  const user = userKnexConfig(options.knex, ['better-sqlite3']);
  return {
    ...user,
    connection: { filename: tenant.database },
  };
}

/**
 * A tenant session's knex: one pinned connection whose statements wait for a locked file (up to `wait`'s
 * lock timeout) without holding the event loop — see busy-connections.ts. The knexfile's `afterCreate`
 * runs first, as under knex.
 */
export function sqliteSessionKnex(tenant: Tenant, options: SessionOptions, wait: BusyWait): Knex {
  const config = sqliteKnexConfig(tenant, options);
  const userAfterCreate = afterCreateOf(config);
  const knex = createPinnedKnex({
    ...config,
    pool: {
      ...config.pool,
      afterCreate(connection: Database.Database, done: (err: Error | null, c: unknown) => void) {
        (userAfterCreate ? runAfterCreate(userAfterCreate, connection) : Promise.resolve())
          .then(() => waitForFileAsynchronously(connection, wait))
          .then(
            () => done(null, connection),
            (err: Error) => done(err, connection),
          );
      },
    },
  });
  waitForFileInKnex(knex);
  nameClientAsWritten(knex, options.knex?.client, RENAMED_SQLITE_CLIENTS);
  return knex;
}
