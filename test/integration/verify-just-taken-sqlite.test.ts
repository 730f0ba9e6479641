// An upgrade verifies the backups it has just written. It re-read and re-hashed each one (a second full
// read of every backup inside the maintenance window) and looked for scratch copies of killed deep
// verifications before a light check — neither of which `backup --verify light` does, because the hash
// was just taken from the fsync'd file. `justTaken` makes the upgrade's check the same; a backup from
// the journal (a resumed run) and `dbfleet verify` are still re-hashed, and a restore always is.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { BackupDetails } from '../../src/backup/context.js';
import { backupTenant } from '../../src/backup/take.js';
import { verifyTenantBackup } from '../../src/backup/verify.js';
import type { Tenant } from '../../src/core/tenant.js';
import { tenantContext } from '../helpers/sqlite-backup-ctx.js';

const tmp = mkdtempSync(join(tmpdir(), 'dbfleet-verify-fresh-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const timeouts = { lockTimeoutMs: 5000, statementTimeoutMs: 60_000 };
const settings = { backupDir: join(tmp, 'backups'), sessionOptions: { timeouts }, tools: {} };

const file = join(tmp, 'acme.db');
const seed = new Database(file);
seed.exec("create table t (id integer primary key, v text); insert into t (v) values ('a'), ('b');");
seed.close();
const tenant: Tenant = {
  id: 'acme',
  dialect: 'sqlite',
  connection: { filename: file },
  host: `sqlite:${file}`,
  database: file,
  tags: [],
};

/** A real SQLite tenant's context, its backup driver's sweep counted. */
function contextOf() {
  let sweeps = 0;
  const { ctx, close } = tenantContext(tenant, {
    driver: (real) => ({
      sweepScratch: async (bctx) => {
        sweeps++;
        return real.sweepScratch(bctx);
      },
    }),
  });
  return { ctx, sweeps: () => sweeps, close };
}

const checksOf = (details: BackupDetails) => (details.checks ?? []).map((c) => c.check);

describe('verifying a backup this process has just taken', () => {
  it('is not read back and hashed again, and a light check sweeps nothing; otherwise both happen', async () => {
    const t = contextOf();
    try {
      const taken = await backupTenant(t.ctx, { ...settings, fingerprintLevel: 'counts', verify: 'none' });
      assert.equal(taken.error, undefined, JSON.stringify(taken.error));
      const path = taken.details.backup!.path;

      const fresh = await verifyTenantBackup(t.ctx, {
        ...settings,
        deep: false,
        backup: path,
        justTaken: true,
      });
      assert.equal(fresh.error, undefined, JSON.stringify(fresh.error));
      assert.deepEqual(checksOf(fresh.details), ['manifest', 'file', 'archive']);
      assert.equal(fresh.details.backup?.verified, 'light');
      assert.equal(t.sweeps(), 0, 'a light check of a fresh backup makes and sweeps no scratch copy');

      // A backup the journal recorded (a resumed upgrade), or `dbfleet verify`: hashed, and swept for.
      const later = await verifyTenantBackup(t.ctx, { ...settings, deep: false, backup: path });
      assert.equal(later.error, undefined, JSON.stringify(later.error));
      assert.deepEqual(checksOf(later.details), ['manifest', 'file', 'sha256', 'archive']);
      assert.equal(t.sweeps(), 1);

      // A deep check of a fresh backup still sweeps before it restores.
      const deep = await verifyTenantBackup(t.ctx, {
        ...settings,
        deep: true,
        backup: path,
        justTaken: true,
      });
      assert.equal(deep.error, undefined, JSON.stringify(deep.error));
      assert.equal(deep.details.backup?.verified, 'deep');
      assert.ok(!checksOf(deep.details).includes('sha256'));
      assert.equal(t.sweeps(), 2);
    } finally {
      await t.close();
    }
  });
});
