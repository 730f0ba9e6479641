// A backup folder the upgrade could not write was found by each tenant's backup step: after its beforeTenant
// hook had closed it to its users. The tenant failed BACKUP_DIR and stayed closed, and every tenant the
// same cause reached did it again. prepareUpgrade checked only the backup folder itself, so a tenant's own
// folder in it (a file in its place; another user's folder) — or a backup folder that broke after
// prepareUpgrade, or was never checked by a library caller — went unseen. The upgrade now checks, before
// its first wave, that the backup folder and each tenant's folder in it take a file, and refuses with
// exit 2 naming the folder and the OS cause; no hook runs.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { UsageError } from '../../src/core/errors.js';
import type { Tenant } from '../../src/core/tenant.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { runCli } from '../helpers/cli-child.js';
import { writeSqliteUpgradeFleet } from '../helpers/sqlite-upgrade-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-upgrade-backup-folder-'));
const backups = join(dir, 'backups');
const migrations = join(dir, 'migrations');
const dbfleet = (...args: string[]) =>
  runCli([...args, '--config', join(dir, 'knexfile.mjs')], { cwd: dir, env: {} });
const tablesOf = (id: string) => {
  const db = new Database(join(dir, `${id}.sqlite`), { readonly: true });
  try {
    return (db.prepare('select name from sqlite_master').all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
};
const tenants: Tenant[] = validateInventory(
  ['a', 'b'].map((id) => ({ id, dialect: 'sqlite', connection: join(dir, `${id}.sqlite`) })),
  'test',
);
/** Library runs record their hooks' calls here. */
const calls: string[] = [];
const hooks = {
  beforeTenant: (_: unknown, c: { tenant: { id: string } }) => void calls.push(`close ${c.tenant.id}`),
  afterTenant: (_: unknown, c: { tenant: { id: string } }) => void calls.push(`open ${c.tenant.id}`),
};

before(() => {
  writeSqliteUpgradeFleet(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('upgrade: a backup folder it cannot write', () => {
  it("a file in a tenant's folder's place refuses the run with exit 2 before any hook runs", async () => {
    mkdirSync(backups);
    writeFileSync(join(backups, 'b'), '');
    try {
      const run = await dbfleet('upgrade', '--json');
      assert.equal(run.code, 2, run.stderr);
      const doc = JSON.parse(run.stdout) as { error?: { code: string; message: string } };
      assert.equal(doc.error?.code, 'USAGE_ERROR');
      const message = doc.error?.message ?? '';
      assert.match(message, /pre-flight refused the upgrade; nothing was changed/);
      assert.ok(message.includes(`${join(backups, 'b')}: ENOTDIR`), message);
      for (const id of ['a', 'b'])
        assert.deepEqual(tablesOf(id), [], `${id}: no hook ran, no migration was applied`);
      assert.equal(existsSync(join(backups, 'a')), false, 'nothing was backed up');
    } finally {
      rmSync(backups, { recursive: true, force: true });
    }
  });

  it('a backup folder that is a file by the time upgrade() starts refuses it; no hook is called', async () => {
    const prepared = await prepareUpgrade({
      tenants,
      migrations,
      backupDir: backups,
      journal: join(dir, 'journal.db'),
      hooks,
    });
    // Checked by prepareUpgrade, then replaced (or never checked: operations a library caller built).
    rmSync(backups, { recursive: true });
    writeFileSync(backups, '');
    try {
      await assert.rejects(
        upgrade({ ...prepared, tenants, concurrency: 1 }),
        (err: Error) =>
          err instanceof UsageError && err.message.includes(`backup directory ${backups} is not a directory`),
      );
      assert.deepEqual(calls, []);
      for (const id of ['a', 'b']) assert.equal(tablesOf(id).includes('base'), false, `${id} not migrated`);
    } finally {
      rmSync(backups, { force: true });
    }
  });

  it('--skip-backup writes no backup: an unwritable folder does not stop it', async () => {
    calls.length = 0;
    try {
      const prepared = await prepareUpgrade({
        tenants,
        migrations,
        backupDir: backups,
        journal: join(dir, 'journal.db'),
        hooks,
      });
      rmSync(backups, { recursive: true });
      writeFileSync(backups, '');
      const report = await upgrade({ ...prepared, tenants, concurrency: 1, skipBackup: true });
      assert.equal(report.ok, true, JSON.stringify(report.tenants));
      assert.deepEqual(calls, ['close a', 'open a', 'close b', 'open b']);
    } finally {
      rmSync(backups, { force: true });
    }
  });
});
