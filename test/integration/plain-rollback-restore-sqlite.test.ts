// A plain `dbfleet rollback` (the last batch, knex-style) of what an upgrade applied undid that upgrade as
// much as `rollback --run --with down` does, but the journal did not count it: `restore` (latest) took the
// upgrade's post-upgrade backup — the newest verified one — and silently put the reverted migrations
// back, and the run's report did not say it was undone. The journal now counts a down of a migration an
// upgrade run applied as a rollback of that run on that tenant; and `rollback --run` of the run, which
// restored the pre-upgrade backup again over what was written since, leaves such a tenant alone once the
// plain rollbacks ran the down of every migration the run applied to it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli-child.js';
import { writeSqliteUpgradeFleet } from '../helpers/sqlite-upgrade-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-plain-rollback-restore-'));
const dbfleet = (...args: string[]) =>
  runCli([...args, '--config', join(dir, 'knexfile.mjs'), '--json'], { cwd: dir, env: {} });
const hasBase = () => {
  const db = new Database(join(dir, 'a.sqlite'), { readonly: true });
  try {
    return db.prepare("select name from sqlite_master where name = 'base'").get() !== undefined;
  } finally {
    db.close();
  }
};

before(() => {
  writeSqliteUpgradeFleet(dir, ['a']);
  writeFileSync(join(dir, 'migrations', '001_base.down.sql'), 'drop table base;\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('restore (latest) after a plain rollback of an upgrade', () => {
  let upgradeRun = '';
  let backups: { pre?: string; post?: string } = {};

  it('passes over the undone upgrade post-upgrade backup, and says so', async () => {
    const up = await dbfleet('upgrade');
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const upDoc = JSON.parse(up.stdout) as { runId: string; tenants: { backups: typeof backups }[] };
    upgradeRun = upDoc.runId;
    backups = upDoc.tenants[0]!.backups;
    const down = await dbfleet('rollback');
    assert.equal(down.code, 0, down.stdout + down.stderr);
    assert.equal(hasBase(), false, 'the plain rollback reverted the upgrade');

    const restored = await dbfleet('restore', '--tenant', 'a', '--yes');
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    const doc = JSON.parse(restored.stdout) as {
      tenants: { restoredFrom?: { path: string }; notes?: string[] }[];
    };
    const tenant = doc.tenants[0]!;
    assert.equal(tenant.restoredFrom?.path, backups.pre, 'the pre-upgrade backup, not the undone upgrade');
    assert.equal(hasBase(), false, 'the reverted migration was not put back');
    assert.ok(
      tenant.notes?.some((n) => n.includes(`skipped the post-upgrade backup of run ${upgradeRun}`)),
      JSON.stringify(tenant.notes),
    );
  });

  it('rollback --run of that upgrade leaves the tenant alone: the plain rollback undid it already', async () => {
    const db = new Database(join(dir, 'a.sqlite'));
    db.exec("create table written_since (x text); insert into written_since values ('keep me')");
    db.close();
    const r = await dbfleet('rollback', '--run', upgradeRun, '--yes');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as { tenants: { status: string; alreadyRolledBack?: string }[] };
    assert.equal(doc.tenants[0]?.status, 'succeeded');
    assert.ok(doc.tenants[0]?.alreadyRolledBack, JSON.stringify(doc.tenants[0]));
    const check = new Database(join(dir, 'a.sqlite'), { readonly: true });
    try {
      assert.deepEqual(check.prepare('select x from written_since').all(), [{ x: 'keep me' }]);
    } finally {
      check.close();
    }
  });

  it("the upgrade run's report says it was rolled back", async () => {
    const r = await dbfleet('report', '--run', upgradeRun);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { rolledBack?: unknown };
    assert.ok(doc.rolledBack, r.stdout.slice(0, 600));
  });
});
