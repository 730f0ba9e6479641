// `verify --tenant a --backup <b's backup>` (the wrong file picked) is BACKUP_WRONG_TENANT for a — and
// wrote that failure into b's manifest: b's good newest backup stopped being a restore point, and
// `restore --tenant b` silently fell back to an older one. It is not a's backup to judge.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { backupTenant } from '../../src/backup/take.js';
import { verifyTenantBackup } from '../../src/backup/verify.js';
import { sqliteTenant, tenantContext, timeouts } from '../helpers/sqlite-backup-ctx.js';

const tmp = mkdtempSync(join(tmpdir(), 'dbfleet-wrong-tenant-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const settings = { backupDir: join(tmp, 'backups'), sessionOptions: { timeouts }, tools: {} };

describe("verifying another tenant's backup", () => {
  it("fails BACKUP_WRONG_TENANT and leaves that backup's manifest alone", async () => {
    const b = tenantContext(sqliteTenant(tmp, 'b', 2));
    const taken = await backupTenant(b.ctx, { ...settings, fingerprintLevel: 'counts', verify: 'light' });
    await b.close();
    const path = taken.details.backup!.path;
    const before = readFileSync(`${path}.manifest.json`, 'utf8');

    const a = tenantContext(sqliteTenant(tmp, 'a', 1));
    for (const setAsideOnFailure of [false, true]) {
      const out = await verifyTenantBackup(a.ctx, {
        ...settings,
        deep: false,
        backup: path,
        setAsideOnFailure,
      });
      assert.equal(out.error?.code, 'BACKUP_WRONG_TENANT');
    }
    await a.close();
    assert.equal(readFileSync(`${path}.manifest.json`, 'utf8'), before, 'b keeps its file and its verdict');
  });
});
