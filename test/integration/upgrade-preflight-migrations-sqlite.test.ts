// A pending migration that cannot run (a module with a syntax error), or a tenant whose history the migrate
// step would refuse (an applied migration edited since), was found only by each tenant's migrate step: after
// its beforeTenant hook had closed it to its users and its pre-upgrade backup was written. The tenants were
// left in maintenance, failed. The pre-flight pass reads every tenant's history anyway: now a file that
// cannot run refuses the upgrade (exit 2) and a tenant's own refusal fails that tenant untouched.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli-child.js';
import { writeSqliteUpgradeFleet } from '../helpers/sqlite-upgrade-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-preflight-migrations-'));
const migrations = join(dir, 'migrations');
const dbfleet = (...args: string[]) =>
  runCli([...args, '--config', join(dir, 'knexfile.mjs')], { cwd: dir, env: {} });
const closed = (id: string) => {
  const db = new Database(join(dir, `${id}.sqlite`), { readonly: true });
  try {
    return db.prepare("select 1 from sqlite_master where name = 'maintenance'").get() !== undefined;
  } finally {
    db.close();
  }
};
const backups = (id: string) =>
  existsSync(join(dir, 'backups', id)) ? readdirSync(join(dir, 'backups', id)) : [];

before(async () => {
  writeSqliteUpgradeFleet(dir);
  const first = await dbfleet('migrate', '--tenant', 'a');
  assert.equal(first.code, 0, first.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('upgrade pre-flight: migrations the migrate step would refuse', () => {
  it('a pending module that does not load refuses the run before any tenant is closed or backed up', async () => {
    writeFileSync(
      join(migrations, '002_broken.js'),
      "exports.up = (knex) => knex.schema.createTable('x', (t) => { t.increments('id') ;\n",
    );
    const run = await dbfleet('upgrade', '--json');
    assert.equal(run.code, 2, run.stderr);
    const doc = JSON.parse(run.stdout) as { error?: { code: string; message: string } };
    assert.equal(doc.error?.code, 'USAGE_ERROR');
    assert.match(doc.error?.message ?? '', /002_broken\.js cannot be loaded/);
    assert.equal(closed('a') || closed('b'), false, 'no tenant was closed');
    assert.deepEqual([...backups('a'), ...backups('b')], [], 'no backup was taken');
    rmSync(join(migrations, '002_broken.js'));
  });

  it('a tenant whose applied migration was edited fails untouched; the others are upgraded', async () => {
    // a applied 001 before the edit; b has it pending, so only a's history disagrees with the folder.
    writeFileSync(join(migrations, '001_base.sql'), 'create table base (id int, note text);\n');
    // One failure allowed: a's is its own (as a tenant the pass could not read), and b goes on.
    const run = await dbfleet('upgrade', '--json', '--max-failures', '1');
    assert.equal(run.code, 1, run.stderr);
    const doc = JSON.parse(run.stdout) as {
      tenants: { id: string; status: string; error?: { code: string; message: string } }[];
    };
    const byId = new Map(doc.tenants.map((t) => [t.id, t]));
    assert.equal(byId.get('a')?.status, 'failed');
    assert.equal(byId.get('a')?.error?.code, 'CHECKSUM_MISMATCH');
    assert.match(
      byId.get('a')?.error?.message ?? '',
      /001_base\.sql was edited after it was applied.*nothing was changed/,
    );
    assert.equal(closed('a'), false, 'a was never closed');
    assert.deepEqual(backups('a'), [], 'nor backed up');
    assert.equal(byId.get('b')?.status, 'succeeded', run.stdout);
  });
});
