// `rollback --run` of an upgrade run that was killed (`kill -9`) part-way. It picked its tenants from the
// migrations the journal recorded as applied, so it left alone two kinds of tenant the killed run had
// closed: one killed inside its first migration (nothing applied: it stayed in maintenance, even with
// --reopen, and the report did not name it), and one whose migration had committed in the tenant but not
// yet reached the journal (a migration is journaled after its commit): it stayed half-upgraded.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startCli as startCliWith } from '../helpers/cli-child.js';
import { jsonReport, startCli } from '../helpers/faults-cli.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('rbkill');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-killed-'));
after(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropDatabases(prefix);
});

const HOOKS = {
  beforeTenant: "update app_settings set value = 'on' where key = 'maintenance'",
  afterTenant: "update app_settings set value = 'off' where key = 'maintenance'",
};

/** One tenant at release 1 (`customers`, the maintenance flag off); `first` is the upgrade's 001. */
async function fixture(label: string, first: string, config = JSON.stringify({ hooks: HOOKS })) {
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
  writeFileSync(
    join(dir, 'migrations', '002_slow.js'),
    "exports.up = (knex) => knex.raw('select pg_sleep(600)');\nexports.down = async () => {};\n",
  );
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

const sleepingIn = (db: string, seconds: number) => async () =>
  (
    await queryDatabase(
      db,
      `select 1 from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active' and query like '%pg_sleep(${seconds})%'`,
    )
  ).length > 0 || undefined;

describe('rollback --run of a killed upgrade', () => {
  it('reopens (--reopen) a tenant the run closed and killed inside its first migration', {
    timeout: 120_000,
  }, async () => {
    const f = await fixture(
      'inside',
      "exports.up = async (knex) => { await knex.schema.createTable('orders', (t) => t.increments('id')); await knex.raw('select pg_sleep(600)'); };\nexports.down = (knex) => knex.schema.dropTable('orders');\n",
    );
    const run = startCli(f.args(['upgrade']), f.dir);
    await waitFor('the first migration to run', sleepingIn(f.db, 600), 60_000);
    run.child.kill('SIGKILL');
    await run.done;
    assert.equal((await f.state()).maintenance, 'on', 'the killed run had closed the tenant');

    const rollback = await startCli(f.args(['rollback', '--run', 'latest', '--yes', '--reopen']), f.dir).done;
    const report = jsonReport(rollback);
    const tenant = report.tenants.find((t) => t.id === 'inside');
    assert.ok(tenant, `the rollback left the closed tenant out: ${rollback.stdout}`);
    assert.equal(tenant.status, 'succeeded', JSON.stringify(tenant.error));
    assert.deepEqual(await f.state(), { maintenance: 'off', orders: false, applied: [] });
  });

  /** A tenant whose 001 committed while the journal could not record it, and then the run was killed. */
  async function killedAfterUnjournaledCommit(label: string) {
    const f = await fixture(
      label,
      "exports.up = async (knex) => { await knex.schema.createTable('orders', (t) => t.increments('id')); await knex.raw('select pg_sleep(1.5)'); };\nexports.down = (knex) => knex.schema.dropTable('orders');\n",
    );
    const run = startCli(f.args(['upgrade']), f.dir);
    await waitFor('the migrate step in the journal', f.migrateStarted, 60_000);
    await waitFor('the first migration to run', sleepingIn(f.db, 1.5), 60_000);
    // The journal's writer lock, held by someone else: the migration's record cannot be written.
    const holder = new Database(join(f.dir, 'journal.db'));
    holder.exec('begin immediate');
    try {
      await waitFor(
        '001 to commit',
        async () => ((await f.applied()).includes('001_orders.js') ? true : undefined),
        30_000,
      );
      run.child.kill('SIGKILL');
      await run.done;
    } finally {
      holder.exec('rollback');
      holder.close();
    }
    assert.deepEqual(await f.state(), { maintenance: 'on', orders: true, applied: ['001_orders.js'] });
    return f;
  }

  it('restores a tenant whose migration committed but was not journaled yet', {
    timeout: 120_000,
  }, async () => {
    const f = await killedAfterUnjournaledCommit('unjournaled');
    const rollback = await startCli(f.args(['rollback', '--run', 'latest', '--yes']), f.dir).done;
    const tenant = jsonReport(rollback).tenants.find((t) => t.id === 'unjournaled');
    assert.ok(tenant, `the rollback left the half-upgraded tenant out: ${rollback.stdout}`);
    assert.equal(tenant.status, 'succeeded', JSON.stringify(tenant.error));
    assert.deepEqual(await f.state(), { maintenance: 'on', orders: false, applied: [] });
  });

  it('with --with down, fails such a tenant loudly rather than call it rolled back', {
    timeout: 120_000,
  }, async () => {
    // The journal has no down to run for the unrecorded migration: the fingerprint check catches it.
    const f = await killedAfterUnjournaledCommit('unjournaled_down');
    const rollback = await startCli(f.args(['rollback', '--run', 'latest', '--yes', '--with', 'down']), f.dir)
      .done;
    const tenant = jsonReport(rollback).tenants.find((t) => t.id === 'unjournaled_down');
    assert.ok(tenant, `the rollback left the half-upgraded tenant out: ${rollback.stdout}`);
    assert.equal(tenant.status, 'failed');
    assert.equal(tenant.error?.code, 'ROLLBACK_MISMATCH', JSON.stringify(tenant.error));
  });

  it('reopens (--reopen) a tenant the run closed and was killed before migrating', {
    timeout: 120_000,
  }, async () => {
    // beforeTenant closes the tenant, then (in the upgrade only) waits: the run is killed in its hook.
    const f = await fixture(
      'closed',
      "exports.up = (knex) => knex.schema.createTable('orders', (t) => t.increments('id'));\nexports.down = (knex) => knex.schema.dropTable('orders');\n",
      `{ hooks: {
        beforeTenant: async (knex) => {
          await knex.raw(${JSON.stringify(HOOKS.beforeTenant)});
          if (process.env.HOLD_IN_HOOK) await knex.raw('select pg_sleep(600)');
        },
        afterTenant: ${JSON.stringify(HOOKS.afterTenant)},
      } }`,
    );
    const run = startCliWith(f.args(['upgrade']), {
      cwd: f.dir,
      env: { DBFLEET_FROM_SOURCE: '1', HOLD_IN_HOOK: '1' },
    });
    await waitFor('the beforeTenant hook to hold', sleepingIn(f.db, 600), 60_000);
    run.child.kill('SIGKILL');
    await run.done;
    assert.equal((await f.state()).maintenance, 'on', 'the killed run had closed the tenant');

    const rollback = await startCli(f.args(['rollback', '--run', 'latest', '--yes', '--reopen']), f.dir).done;
    const tenant = jsonReport(rollback).tenants.find((t) => t.id === 'closed') as
      | { status: string; error?: unknown; unchanged?: boolean; maintenance?: string }
      | undefined;
    assert.ok(tenant, `the rollback left the closed tenant out: ${rollback.stdout}`);
    assert.equal(tenant.status, 'succeeded', JSON.stringify(tenant.error));
    assert.equal(tenant.unchanged, true, 'nothing to restore: the run changed nothing');
    assert.equal(tenant.maintenance, 'open');
    assert.deepEqual(await f.state(), { maintenance: 'off', orders: false, applied: [] });
  });
});
