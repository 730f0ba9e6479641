// `rollback --run <id> --with down` of an upgrade run killed (`kill -9`) right after a migration committed
// in the tenant but before the journal recorded it (a migration is journaled after its commit). The downs
// came from the journal alone: the unrecorded migration's down never ran. With 001 journaled and 002 not,
// the rollback refused NEWER_MIGRATIONS_APPLIED (002 sat on top of 001) and left the tenant upgraded;
// with nothing journaled it failed ROLLBACK_MISMATCH (rollback-killed-upgrade-postgres.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { jsonReport, startCli } from '../helpers/faults-cli.js';
import { killedAfterJournaledThenUnjournaled } from '../helpers/killed-upgrade.js';
import { dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('rbdunj');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-down-unjournaled-'));
after(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropDatabases(prefix);
});

/** The killed upgrade run's id, from its journal. */
function upgradeRunOf(dir: string): string {
  const journal = new Database(join(dir, 'journal.db'), { readonly: true });
  try {
    const row = journal.prepare("select run_id from dbfleet_runs where command = 'upgrade'").get() as
      | { run_id: string }
      | undefined;
    assert.ok(row, 'the killed run is in the journal');
    return row.run_id;
  } finally {
    journal.close();
  }
}

/** The tenant's own tables (not the migrator's history tables), and its customers. */
async function schemaOf(db: string) {
  const tables = await queryDatabase<{ name: string }>(
    db,
    `select tablename as name from pg_tables where schemaname = 'public'
       and tablename not in ('knex_migrations', 'knex_migrations_lock', 'dbfleet_migration_checksums') order by 1`,
  );
  const [count] = await queryDatabase<{ n: string }>(db, 'select count(*) as n from customers');
  return { tables: tables.map((t) => t.name), customers: Number(count?.n) };
}

/** 003: waits in the killed run; quick once the test writes `quick-003`. */
const QUICK_LATER = `const { existsSync } = require('node:fs');
const { join } = require('node:path');
exports.up = async (knex) => {
  if (!existsSync(join(__dirname, '..', 'quick-003'))) await knex.raw('select pg_sleep(600)');
  await knex.schema.createTable('labels', (t) => t.increments('id'));
};
exports.down = (knex) => knex.schema.dropTable('labels');
`;

describe('rollback --run --with down after a kill between a commit and its journal record', () => {
  it('downs every migration the run applied, the unjournaled one included, newest first', {
    timeout: 120_000,
  }, async () => {
    const f = await killedAfterJournaledThenUnjournaled(root, prefix, 'down_two');
    const runId = upgradeRunOf(f.dir);

    const rollback = await startCli(
      f.args(['rollback', '--run', runId, '--yes', '--with', 'down', '--reopen']),
      f.dir,
    ).done;
    const tenant = jsonReport(rollback).tenants.find((t) => t.id === 'down_two');
    assert.ok(tenant, `the rollback left the half-upgraded tenant out: ${rollback.stdout}`);
    assert.equal(tenant.status, 'succeeded', JSON.stringify(tenant.error));
    assert.deepEqual(tenant.applied, ['002_next.js', '001_orders.js'], 'what was reverted, newest first');
    // As before the upgrade: its own tables only, the history empty, and its users let back in.
    assert.deepEqual(await schemaOf(f.db), { tables: ['app_settings', 'customers'], customers: 50 });
    assert.deepEqual(await f.state(), { maintenance: 'off', orders: false, applied: [] });
    // The rollback journaled both downs: rolling the run back again does nothing.
    const again = await startCli(f.args(['rollback', '--run', runId, '--yes', '--with', 'down']), f.dir).done;
    const second = jsonReport(again).tenants.find((t) => t.id === 'down_two') as
      | { status: string; alreadyRolledBack?: string }
      | undefined;
    assert.equal(second?.status, 'succeeded', again.stdout);
    assert.ok(second.alreadyRolledBack, again.stdout);
  });

  it('never downs a migration applied on top since (a plain migrate): refused, nothing reverted', {
    timeout: 120_000,
  }, async () => {
    // The unjournaled 002 is the run's (its batch); 003, applied by `migrate` after the kill, is not.
    const f = await killedAfterJournaledThenUnjournaled(root, prefix, 'down_foreign', QUICK_LATER);
    writeFileSync(join(f.dir, 'quick-003'), '');
    const migrate = await startCli(f.args(['migrate']), f.dir).done;
    assert.equal(migrate.code, 0, migrate.stdout + migrate.stderr);
    assert.deepEqual(await queryDatabase(f.db, 'select name, batch from knex_migrations order by id'), [
      { name: '001_orders.js', batch: 1 },
      { name: '002_next.js', batch: 1 },
      { name: '003_last.js', batch: 2 },
    ]);

    const rollback = await startCli(
      f.args(['rollback', '--run', upgradeRunOf(f.dir), '--yes', '--with', 'down']),
      f.dir,
    ).done;
    const tenant = jsonReport(rollback).tenants.find((t) => t.id === 'down_foreign');
    assert.ok(tenant, rollback.stdout);
    assert.equal(tenant.status, 'failed');
    assert.equal(tenant.error?.code, 'NEWER_MIGRATIONS_APPLIED', JSON.stringify(tenant.error));
    assert.match(tenant.error?.message ?? '', /003_last\.js/);
    assert.deepEqual(await f.applied(), ['001_orders.js', '002_next.js', '003_last.js']);
  });
});
