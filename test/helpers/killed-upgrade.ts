// An upgrade killed (`kill -9`) at a chosen point, for the tests of what `rollback --run` and
// `upgrade --resume` make of it: a one-tenant PostgreSQL fleet with maintenance hooks, and the kill right
// after a migration committed in the tenant while the journal could not record it.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startCli } from './faults-cli.js';
import { createDatabases, pgUrl, queryDatabase } from './postgres.js';
import { waitFor } from './wait.js';

export const HOOKS = {
  beforeTenant: "update app_settings set value = 'on' where key = 'maintenance'",
  afterTenant: "update app_settings set value = 'off' where key = 'maintenance'",
};

/**
 * One PostgreSQL tenant at release 1 (`customers`, the maintenance flag off) in its own folder under
 * `root`, closed and reopened by SQL hooks (or the `config` module's). `first` is the upgrade's 001;
 * `second` its 002 (by default one that sleeps: the run is killed before it ends).
 */
export async function killedUpgradeFixture(
  root: string,
  prefix: string,
  label: string,
  first: string,
  config = JSON.stringify({ hooks: HOOKS }),
  second = "exports.up = (knex) => knex.raw('select pg_sleep(600)');\nexports.down = async () => {};\n",
) {
  const db = `${prefix}_${label}`;
  await createDatabases([db]);
  await queryDatabase(
    db,
    `create table customers (id serial primary key, name text);
     insert into customers (name) select 'customer ' || i from generate_series(1, 50) i;
     create table app_settings (key text primary key, value text);
     insert into app_settings values ('maintenance', 'off')`,
  );
  const dir = join(root, label);
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'migrations', '001_orders.js'), first);
  writeFileSync(join(dir, 'migrations', '002_next.js'), second);
  writeFileSync(
    join(dir, 'tenants.json'),
    JSON.stringify([{ id: label, dialect: 'postgres', connection: pgUrl(db) }]),
  );
  writeFileSync(join(dir, 'dbfleet.js'), `module.exports = ${config};\n`);
  const args = (command: string[]) => [
    ...command,
    '--config',
    join(dir, 'dbfleet.js'),
    '--tenants',
    join(dir, 'tenants.json'),
    '--migrations',
    join(dir, 'migrations'),
    '--backup-dir',
    join(dir, 'backups'),
    '--journal',
    join(dir, 'journal.db'),
    '--json',
  ];
  // No history table at release 1: the upgrade's migrate step creates it, a restore takes it away again.
  const applied = async () =>
    (await queryDatabase(db, "select to_regclass('public.knex_migrations') as t"))[0]?.t
      ? (await queryDatabase<{ name: string }>(db, 'select name from knex_migrations order by id')).map(
          (r) => r.name,
        )
      : [];
  const state = async () => ({
    maintenance: (
      await queryDatabase<{ value: string }>(db, "select value from app_settings where key = 'maintenance'")
    )[0]?.value,
    orders: (await queryDatabase(db, "select 1 from pg_tables where tablename = 'orders'")).length > 0,
    applied: await applied(),
  });
  /** The killed run's migrate step of this tenant, once the journal has it. */
  const migrateStarted = () => {
    try {
      const journal = new Database(join(dir, 'journal.db'), { readonly: true, fileMustExist: true });
      try {
        return journal.prepare("select 1 from dbfleet_run_steps where step = 'migrate'").get()
          ? true
          : undefined;
      } finally {
        journal.close();
      }
    } catch {
      return undefined;
    }
  };
  return { db, dir, args, applied, state, migrateStarted };
}

/** Whether a statement of the test's `pg_sleep(<seconds>)` runs in `db` (other than this probe). */
export const sleepingIn = (db: string, seconds: number) => async () =>
  (
    await queryDatabase(
      db,
      `select 1 from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active' and query like '%pg_sleep(${seconds})%'`,
    )
  ).length > 0 || undefined;

/**
 * Waits for the sessions of a killed run to end in `db`. A backend busy in a statement notices its client
 * is gone only at its next connection check (client_connection_check_interval), seconds later on a loaded
 * machine; until then it holds the tenant's lock, and a rollback started at once finds it LOCKED, as a
 * user's would (the message says to wait).
 */
export async function killedSessionsEnded(db: string): Promise<void> {
  await waitFor(
    "the killed run's sessions to end",
    async () =>
      (
        await queryDatabase(
          db,
          'select 1 from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        )
      ).length === 0 || undefined,
    60_000,
  );
}

/** A tenant whose 001 committed while the journal could not record it, and then the run was killed. */
export async function killedAfterUnjournaledCommit(
  root: string,
  prefix: string,
  label: string,
  second?: string,
) {
  const f = await killedUpgradeFixture(
    root,
    prefix,
    label,
    "exports.up = async (knex) => { await knex.schema.createTable('orders', (t) => t.increments('id')); await knex.raw('select pg_sleep(1.5)'); };\nexports.down = (knex) => knex.schema.dropTable('orders');\n",
    undefined,
    second,
  );
  await killOnceCommittedUnjournaled(f, '001_orders.js', 1.5);
  assert.deepEqual(await f.state(), { maintenance: 'on', orders: true, applied: ['001_orders.js'] });
  return f;
}

/**
 * A tenant whose 001 (`orders`) committed and was journaled, then whose 002 (`notes`) committed while the
 * journal could not record it, and then the run was killed. `third`: its 003 (by default one that sleeps).
 */
export async function killedAfterJournaledThenUnjournaled(
  root: string,
  prefix: string,
  label: string,
  third = "exports.up = (knex) => knex.raw('select pg_sleep(600)');\nexports.down = async () => {};\n",
) {
  const f = await killedUpgradeFixture(
    root,
    prefix,
    label,
    "exports.up = (knex) => knex.schema.createTable('orders', (t) => t.increments('id'));\nexports.down = (knex) => knex.schema.dropTable('orders');\n",
    undefined,
    "exports.up = async (knex) => { await knex.schema.createTable('notes', (t) => t.increments('id')); await knex.raw('select pg_sleep(2.5)'); };\nexports.down = (knex) => knex.schema.dropTable('notes');\n",
  );
  writeFileSync(join(f.dir, 'migrations', '003_last.js'), third);
  await killOnceCommittedUnjournaled(f, '002_next.js', 2.5, '001_orders.js');
  assert.deepEqual(await f.applied(), ['001_orders.js', '002_next.js']);
  assert.deepEqual(journaledMigrations(f.dir), ['001_orders.js']);
  return f;
}

/** The migrations the journal recorded as applied (up), in order. */
export function journaledMigrations(dir: string): string[] {
  const journal = new Database(join(dir, 'journal.db'), { readonly: true, fileMustExist: true });
  try {
    return (
      journal.prepare("select name from dbfleet_run_migrations where direction = 'up' order by id").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
  } finally {
    journal.close();
  }
}

/**
 * Runs the fixture's upgrade and kills it (`kill -9`) once `name` — which ends with a `pg_sleep(<seconds>)`
 * — committed while the journal's writer lock was held, so its record never reached the journal.
 * `journaledFirst`: a migration whose record is waited for before the lock is taken.
 */
async function killOnceCommittedUnjournaled(
  f: Awaited<ReturnType<typeof killedUpgradeFixture>>,
  name: string,
  seconds: number,
  journaledFirst?: string,
) {
  const run = startCli(f.args(['upgrade']), f.dir);
  await waitFor('the migrate step in the journal', f.migrateStarted, 60_000);
  if (journaledFirst)
    await waitFor(
      `${journaledFirst} in the journal`,
      () => {
        try {
          return journaledMigrations(f.dir).includes(journaledFirst) ? true : undefined;
        } catch {
          return undefined; // the journal is being created
        }
      },
      60_000,
    );
  await waitFor(`${name} to run`, sleepingIn(f.db, seconds), 60_000);
  // The journal's writer lock, held by someone else: the migration's record cannot be written.
  const holder = new Database(join(f.dir, 'journal.db'));
  holder.exec('begin immediate');
  try {
    await waitFor(
      `${name} to commit`,
      async () => ((await f.applied()).includes(name) ? true : undefined),
      30_000,
    );
    run.child.kill('SIGKILL');
    await run.done;
    await killedSessionsEnded(f.db);
  } finally {
    holder.exec('rollback');
    holder.close();
  }
}
