// A newest backup whose manifest cannot be read was invisible to `latest`: verify checked an older backup
// and succeeded, restore silently restored older data, and with only the damaged one left the error was
// NO_BACKUP. It is MANIFEST_INVALID naming the file; an older backup can still be named with --backup.
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

const tmp = mkdtempSync(join(tmpdir(), 'dbfleet-damaged-manifest-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const settings = { backupDir: join(tmp, 'backups'), sessionOptions: { timeouts }, tools: {} };

const tenant = sqliteTenant(tmp, 'acme', 1);
const rows = () => {
  const db = new Database(tenant.database, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from t').get() as { n: number }).n;
  } finally {
    db.close();
  }
};
const addRow = (id: number) => {
  const db = new Database(tenant.database);
  db.prepare('insert into t values (?)').run(id);
  db.close();
};

describe('the newest backup with a damaged manifest', () => {
  it('is MANIFEST_INVALID for verify and restore latest, never skipped for an older one', async () => {
    const t = tenantContext(tenant);
    try {
      const take = () => backupTenant(t.ctx, { ...settings, fingerprintLevel: 'counts', verify: 'light' });
      const older = (await take()).details.backup!.path;
      addRow(2);
      const newest = (await take()).details.backup!.path;
      writeFileSync(`${newest}.manifest.json`, '{"format":"dbfleet-backup", "trunc');
      addRow(3);

      const v = await verifyTenantBackup(t.ctx, { ...settings, deep: false, backup: 'latest' });
      assert.equal(v.error?.code, 'MANIFEST_INVALID');
      assert.match(v.error?.message ?? '', new RegExp(newest.replace(/[.]/g, '\\.')));

      const r = await restoreFromBackup(t.ctx, { ...settings, backup: 'latest' });
      assert.equal(r.error?.code, 'MANIFEST_INVALID');
      assert.equal(rows(), 3, 'nothing was restored');

      const named = await restoreFromBackup(t.ctx, { ...settings, backup: older });
      assert.equal(named.error, undefined, JSON.stringify(named.error));
      assert.equal(rows(), 1, 'the older backup, named on purpose');

      rmSync(older);
      rmSync(`${older}.manifest.json`);
      const alone = await verifyTenantBackup(t.ctx, { ...settings, deep: false, backup: 'latest' });
      assert.equal(alone.error?.code, 'MANIFEST_INVALID');
    } finally {
      await t.close();
    }
  });

  // The report's Drift section groups tenants by the manifest's schemaHash: zeroed (edited, damaged), it
  // passed light and deep verify, which compare the tables and objects beside it.
  it('a schemaHash that is not the hash of its own tables and objects is MANIFEST_INVALID', async () => {
    const t = tenantContext(tenant);
    try {
      const path = (await backupTenant(t.ctx, { ...settings, fingerprintLevel: 'counts', verify: 'light' }))
        .details.backup!.path;
      const intact = await verifyTenantBackup(t.ctx, { ...settings, deep: true, backup: path });
      assert.equal(intact.error, undefined, JSON.stringify(intact.error));
      const manifest = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8'));
      manifest.fingerprint.schemaHash = '0'.repeat(64);
      writeFileSync(`${path}.manifest.json`, JSON.stringify(manifest));
      for (const deep of [false, true]) {
        const v = await verifyTenantBackup(t.ctx, { ...settings, deep, backup: path });
        assert.equal(v.error?.code, 'MANIFEST_INVALID', `deep: ${deep}`);
        assert.match(
          v.error?.message ?? '',
          /schemaHash 0{64} is not the hash of its own tables and objects/,
        );
      }
    } finally {
      await t.close();
    }
  });
});
