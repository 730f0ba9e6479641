// `upgrade --resume` of a run killed (`kill -9`) right after a migration committed in the tenant but
// before the journal recorded it (a migration is journaled after its commit). The resumed run knew of no
// migration of its own in the tenant: when its next migration then failed inside its transaction, it took
// the tenant for unchanged — "no migration was applied, so nothing was restored" — and left it
// half-upgraded, 001 applied, instead of restoring its pre-upgrade backup. And when the resumed run
// succeeded, its report left 001 out of what the run applied, and 002 went into a batch of its own (so
// `knex migrate:rollback` would undo only half the run).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonReport, startCli } from '../helpers/faults-cli.js';
import { killedAfterUnjournaledCommit } from '../helpers/killed-upgrade.js';
import { dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('rsunj');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-resume-unjournaled-'));
after(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropDatabases(prefix);
});

/** 002: waits in the killed run; fails, inside its transaction, once the test writes `fail-002`. */
const FAILS_ON_RESUME = `const { existsSync } = require('node:fs');
const { join } = require('node:path');
exports.up = async (knex) => {
  if (existsSync(join(__dirname, '..', 'fail-002'))) throw new Error('told to fail');
  await knex.raw('select pg_sleep(600)');
};
exports.down = async () => {};
`;

/** 002: waits in the killed run; quick once the test writes `quick-002`. */
const QUICK_ON_RESUME = `const { existsSync } = require('node:fs');
const { join } = require('node:path');
exports.up = async (knex) => {
  if (!existsSync(join(__dirname, '..', 'quick-002'))) await knex.raw('select pg_sleep(600)');
  await knex.schema.createTable('notes', (t) => t.increments('id'));
};
exports.down = (knex) => knex.schema.dropTable('notes');
`;

describe('upgrade --resume after a kill between a commit and its journal record', () => {
  it('journals the unrecorded migration: the report names it, and the run stays one batch', {
    timeout: 120_000,
  }, async () => {
    const f = await killedAfterUnjournaledCommit(root, prefix, 'next_ok', QUICK_ON_RESUME);
    writeFileSync(join(f.dir, 'quick-002'), '');

    const resumed = await startCli(f.args(['upgrade', '--resume']), f.dir).done;
    const tenant = jsonReport(resumed).tenants.find((t) => t.id === 'next_ok');
    assert.equal(tenant?.status, 'succeeded', resumed.stdout + resumed.stderr);
    assert.deepEqual(tenant.applied, ['001_orders.js', '002_next.js']);
    assert.deepEqual(await queryDatabase(f.db, 'select name, batch from knex_migrations order by id'), [
      { name: '001_orders.js', batch: 1 },
      { name: '002_next.js', batch: 1 },
    ]);
    assert.deepEqual(await f.state(), {
      maintenance: 'off',
      orders: true,
      applied: ['001_orders.js', '002_next.js'],
    });
  });

  it('restores the tenant when its next migration fails', { timeout: 120_000 }, async () => {
    const f = await killedAfterUnjournaledCommit(root, prefix, 'next_fails', FAILS_ON_RESUME);
    writeFileSync(join(f.dir, 'fail-002'), '');

    const resumed = await startCli(f.args(['upgrade', '--resume']), f.dir).done;
    const tenant = jsonReport(resumed).tenants.find((t) => t.id === 'next_fails');
    assert.ok(tenant, resumed.stdout + resumed.stderr);
    assert.equal(tenant.status, 'failed');
    assert.match(tenant.error?.message ?? '', /told to fail/);
    assert.match(tenant.error?.message ?? '', /rolled back to the pre-upgrade state/);
    // The pre-upgrade backup was taken after beforeTenant closed it: it stays closed, at release 1.
    assert.deepEqual(await f.state(), { maintenance: 'on', orders: false, applied: [] });
  });
});
