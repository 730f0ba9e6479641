// Only a verdict on the backup itself is recorded in its manifest and sets a fresh backup aside. A deep
// verification that could not run — no scratch database (a user without CREATEDB), Ctrl-C — wrote
// ok:false into a good backup's manifest (restore then found "no verified backup"), and an upgrade's
// interrupted pre-upgrade verify moved its good backup aside, so the advised --resume found none.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { backupTenant } from '../../src/backup/take.js';
import { verifyTenantBackup } from '../../src/backup/verify.js';
import { TenantError } from '../../src/core/errors.js';
import type { Tenant } from '../../src/core/tenant.js';
import { sqliteTenant, tenantContext, timeouts } from '../helpers/sqlite-backup-ctx.js';

const tmp = mkdtempSync(join(tmpdir(), 'dbfleet-verdicts-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const settings = { backupDir: join(tmp, 'backups'), sessionOptions: { timeouts }, tools: {} };
const manifestText = (path: string) => readFileSync(`${path}.manifest.json`, 'utf8');

const noScratch = () => ({
  createScratch: async () => {
    throw new TenantError('SCRATCH_FAILED', 'cannot create the scratch database (the user needs CREATEDB)');
  },
});

async function lightVerifiedBackup(id: string, filler = 0): Promise<{ tenant: Tenant; path: string }> {
  const tenant = sqliteTenant(tmp, id, 2, filler);
  const t = tenantContext(tenant);
  try {
    const taken = await backupTenant(t.ctx, { ...settings, fingerprintLevel: 'counts', verify: 'light' });
    assert.equal(taken.error, undefined, JSON.stringify(taken.error));
    return { tenant, path: taken.details.backup!.path };
  } finally {
    await t.close();
  }
}

describe('a verification that could not run records no verdict', () => {
  it('verify --deep without a scratch database: SCRATCH_FAILED, the light verdict stays', async () => {
    const { tenant, path } = await lightVerifiedBackup('noscratch');
    const before = manifestText(path);
    const t = tenantContext(tenant, { driver: noScratch });
    const out = await verifyTenantBackup(t.ctx, { ...settings, deep: true, backup: 'latest' });
    await t.close();
    assert.equal(out.error?.code, 'SCRATCH_FAILED');
    assert.equal(manifestText(path), before);
  });

  it('Ctrl-C during an upgrade-style deep verify: INTERRUPTED, the backup keeps its name and verdict', async () => {
    const { tenant, path } = await lightVerifiedBackup('interrupted', 12_000);
    const before = manifestText(path);
    const abort = new AbortController();
    const t = tenantContext(tenant, {
      abort,
      // Ctrl-C arrives while the scratch copy is being restored.
      driver: (real) => ({
        createScratch: async (bctx) => {
          const scratch = await real.createScratch(bctx);
          return {
            ...scratch,
            restore: (p, info) => {
              setImmediate(() => abort.abort());
              return scratch.restore(p, info);
            },
          };
        },
      }),
    });
    const out = await verifyTenantBackup(t.ctx, {
      ...settings,
      deep: true,
      backup: path,
      setAsideOnFailure: true,
      justTaken: true,
    });
    await t.close();
    assert.equal(out.error?.code, 'INTERRUPTED', JSON.stringify(out.error));
    assert.ok(existsSync(path), 'the good backup keeps its final name');
    assert.equal(manifestText(path), before);
  });

  it('backup --verify deep without a scratch database: the new backup stays, unverified, not set aside', async () => {
    const t = tenantContext(sqliteTenant(tmp, 'fresh', 2), { driver: noScratch });
    const taken = await backupTenant(t.ctx, { ...settings, fingerprintLevel: 'counts', verify: 'deep' });
    await t.close();
    assert.equal(taken.error?.code, 'SCRATCH_FAILED');
    const path = taken.details.backup!.path;
    assert.ok(existsSync(path), `${path} keeps its final name`);
    assert.equal(JSON.parse(manifestText(path)).verification, null);
  });

  it('a real verdict is still recorded: a changed file fails BACKUP_CHECKSUM_MISMATCH, ok:false', async () => {
    const { tenant, path } = await lightVerifiedBackup('changed');
    const t = tenantContext(tenant);
    writeFileSync(
      `${path}.manifest.json`,
      manifestText(path).replace(/"sha256": "\w+"/, `"sha256": "${'0'.repeat(64)}"`),
    );
    const out = await verifyTenantBackup(t.ctx, { ...settings, deep: false, backup: path });
    await t.close();
    assert.equal(out.error?.code, 'BACKUP_CHECKSUM_MISMATCH');
    assert.equal(JSON.parse(manifestText(path)).verification.ok, false);
  });
});
