// `restore --backup <path>` of a backup whose last verification failed (a deep verify found the restored
// copy differs from its fingerprint) ran only the light check, which passed: the tenant's data was
// replaced, then the restore failed RESTORE_MISMATCH. The recorded verdict now refuses it up front.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { restoreFromBackup } from '../../src/backup/restore.js';
import { backupTenant } from '../../src/backup/take.js';
import { verifyTenantBackup } from '../../src/backup/verify.js';
import { sqliteTenant, tenantContext, timeouts } from '../helpers/sqlite-backup-ctx.js';

const tmp = mkdtempSync(join(tmpdir(), 'dbfleet-failed-verdict-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const settings = { backupDir: join(tmp, 'backups'), sessionOptions: { timeouts }, tools: {} };

describe('restoring a backup whose last verification failed', () => {
  it('is RESTORE_REFUSED naming the recorded problem, and the tenant is left alone', async () => {
    const tenant = sqliteTenant(tmp, 'acme', 2);
    const t = tenantContext(tenant);
    try {
      const taken = await backupTenant(t.ctx, { ...settings, fingerprintLevel: 'counts', verify: 'light' });
      const path = taken.details.backup!.path;
      // The manifest says 3 rows, the archive holds 2: a real deep-verify failure.
      const manifest = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8'));
      manifest.fingerprint.tables.t.rows = 3;
      writeFileSync(`${path}.manifest.json`, JSON.stringify(manifest));
      const deep = await verifyTenantBackup(t.ctx, { ...settings, deep: true, backup: path });
      assert.equal(deep.error?.code, 'FINGERPRINT_MISMATCH');

      const db = new Database(tenant.database);
      db.exec('insert into t values (3), (4)');
      db.close();
      const restored = await restoreFromBackup(t.ctx, { ...settings, backup: path });
      assert.equal(restored.error?.code, 'RESTORE_REFUSED', JSON.stringify(restored.error));
      assert.match(restored.error?.message ?? '', /deep verification .* failed: the restored copy differs/);
      assert.equal(restored.details.restored, false);
      const check = new Database(tenant.database, { readonly: true });
      assert.equal((check.prepare('select count(*) as n from t').get() as { n: number }).n, 4);
      check.close();
    } finally {
      await t.close();
    }
  });

  // `restore` (latest) took the older verified backup when the newest had failed its verification: only a
  // warning on stderr said so, and `--json` showed an older path with no word of why.
  it('latest passes over a newest backup that failed verification, and the report says which and why', async () => {
    const tenant = sqliteTenant(tmp, 'globex', 2);
    const t = tenantContext(tenant);
    try {
      const older = await backupTenant(t.ctx, { ...settings, fingerprintLevel: 'counts', verify: 'light' });
      const newest = await backupTenant(t.ctx, { ...settings, fingerprintLevel: 'counts', verify: 'light' });
      const path = newest.details.backup!.path;
      const manifest = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8'));
      manifest.fingerprint.tables.t.rows = 3;
      writeFileSync(`${path}.manifest.json`, JSON.stringify(manifest));
      assert.equal(
        (await verifyTenantBackup(t.ctx, { ...settings, deep: true, backup: path })).error?.code,
        'FINGERPRINT_MISMATCH',
      );
      const restored = await restoreFromBackup(t.ctx, { ...settings, backup: 'latest' });
      assert.equal(restored.error, undefined, JSON.stringify(restored.error));
      assert.equal(restored.details.backup?.path, older.details.backup!.path);
      assert.deepEqual(restored.details.passedOver, { path, why: 'its deep verification failed' });
    } finally {
      await t.close();
    }
  });
});
