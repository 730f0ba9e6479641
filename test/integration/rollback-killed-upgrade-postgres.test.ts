// `rollback --run` of an upgrade run that was killed (`kill -9`) part-way. It picked its tenants from the
// migrations the journal recorded as applied, so it left alone two kinds of tenant the killed run had
// closed: one killed inside its first migration (nothing applied: it stayed in maintenance, even with
// --reopen, and the report did not name it), and one whose migration had committed in the tenant but not
// yet reached the journal (a migration is journaled after its commit): it stayed half-upgraded.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startCli as startCliWith } from '../helpers/cli-child.js';
import { jsonReport, startCli } from '../helpers/faults-cli.js';
import {
  HOOKS,
  killedAfterUnjournaledCommit,
  killedSessionsEnded,
  killedUpgradeFixture,
  sleepingIn,
} from '../helpers/killed-upgrade.js';
import { dropDatabases, uniquePrefix } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('rbkill');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-killed-'));
after(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropDatabases(prefix);
});

describe('rollback --run of a killed upgrade', () => {
  it('reopens (--reopen) a tenant the run closed and killed inside its first migration', {
    timeout: 120_000,
  }, async () => {
    const f = await killedUpgradeFixture(
      root,
      prefix,
      'inside',
      "exports.up = async (knex) => { await knex.schema.createTable('orders', (t) => t.increments('id')); await knex.raw('select pg_sleep(600)'); };\nexports.down = (knex) => knex.schema.dropTable('orders');\n",
    );
    const run = startCli(f.args(['upgrade']), f.dir);
    await waitFor('the first migration to run', sleepingIn(f.db, 600), 60_000);
    run.child.kill('SIGKILL');
    await run.done;
    await killedSessionsEnded(f.db);
    assert.equal((await f.state()).maintenance, 'on', 'the killed run had closed the tenant');

    const rollback = await startCli(f.args(['rollback', '--run', 'latest', '--yes', '--reopen']), f.dir).done;
    const report = jsonReport(rollback);
    const tenant = report.tenants.find((t) => t.id === 'inside');
    assert.ok(tenant, `the rollback left the closed tenant out: ${rollback.stdout}`);
    assert.equal(tenant.status, 'succeeded', JSON.stringify(tenant.error));
    assert.deepEqual(await f.state(), { maintenance: 'off', orders: false, applied: [] });
  });

  it('restores a tenant whose migration committed but was not journaled yet', {
    timeout: 120_000,
  }, async () => {
    const f = await killedAfterUnjournaledCommit(root, prefix, 'unjournaled');
    const rollback = await startCli(f.args(['rollback', '--run', 'latest', '--yes']), f.dir).done;
    const tenant = jsonReport(rollback).tenants.find((t) => t.id === 'unjournaled');
    assert.ok(tenant, `the rollback left the half-upgraded tenant out: ${rollback.stdout}`);
    assert.equal(tenant.status, 'succeeded', JSON.stringify(tenant.error));
    assert.deepEqual(await f.state(), { maintenance: 'on', orders: false, applied: [] });
  });

  it('with --with down, runs the down of that migration too', { timeout: 120_000 }, async () => {
    // The journal names no migration: the run's are read from the tenant's history after the rows it held
    // at the pre-upgrade backup (it failed ROLLBACK_MISMATCH, untouched, when only the journal counted).
    const f = await killedAfterUnjournaledCommit(root, prefix, 'unjournaled_down');
    const rollback = await startCli(f.args(['rollback', '--run', 'latest', '--yes', '--with', 'down']), f.dir)
      .done;
    const tenant = jsonReport(rollback).tenants.find((t) => t.id === 'unjournaled_down');
    assert.ok(tenant, `the rollback left the half-upgraded tenant out: ${rollback.stdout}`);
    assert.equal(tenant.status, 'succeeded', JSON.stringify(tenant.error));
    assert.deepEqual(tenant.applied, ['001_orders.js']);
    assert.deepEqual(await f.state(), { maintenance: 'on', orders: false, applied: [] });
  });

  it('reopens (--reopen) a tenant the run closed and was killed before migrating', {
    timeout: 120_000,
  }, async () => {
    // beforeTenant closes the tenant, then (in the upgrade only) waits: the run is killed in its hook.
    const f = await killedUpgradeFixture(
      root,
      prefix,
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
      env: { HOLD_IN_HOOK: '1' },
    });
    await waitFor('the beforeTenant hook to hold', sleepingIn(f.db, 600), 60_000);
    run.child.kill('SIGKILL');
    await run.done;
    await killedSessionsEnded(f.db);
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
