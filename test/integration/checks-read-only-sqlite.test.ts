// Smoke checks only look: on SQLite a check that wrote (`DELETE … RETURNING 1`) passed and emptied the
// table after the last backup of the pre-upgrade state. Now the session is query_only while checks run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Tenant } from '../../src/core/tenant.js';
import { createDemoFleet } from '../../src/demo/create-fleet.js';
import { DEMO_BASELINE } from '../../src/demo/run-demo.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { upgrade } from '../../src/upgrade/upgrade.js';

const MIGRATIONS = join(fileURLToPath(new URL('../../', import.meta.url)), 'migrations');
let tmp: string;
let tenants: Tenant[];

function settings(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select count(*) as n from app_settings').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function upgradeWith(tenant: Tenant, label: string, checks: unknown, hooks?: unknown) {
  const prepared = await prepareUpgrade({
    tenants: [tenant],
    migrations: MIGRATIONS,
    backupDir: join(tmp, `backups-${label}`),
    journal: join(tmp, `journal-${label}.db`),
    checks,
    ...(hooks ? { hooks } : {}),
  } as Parameters<typeof prepareUpgrade>[0]);
  return (await upgrade({ ...prepared, tenants: [tenant], concurrency: 1 })).tenants[0]!;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'dbfleet-checks-ro-sqlite-'));
  ({ tenants } = await createDemoFleet({
    dir: join(tmp, 'fleet'),
    count: 2,
    migrationsDir: MIGRATIONS,
    baseline: DEMO_BASELINE,
  }));
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('smoke checks cannot write (SQLite)', () => {
  test('a check that deletes fails, and the rows stay', async () => {
    const tenant = tenants[0]!;
    const before = settings(tenant.database);
    assert.ok(before > 0);
    const result = await upgradeWith(tenant, 'delete', [
      { name: 'sneaky', sql: 'DELETE FROM app_settings RETURNING 1' },
    ]);
    assert.equal(result.status, 'failed');
    assert.match(result.error?.message ?? '', /smoke check sneaky failed: .*readonly/);
    assert.equal(settings(tenant.database), before);
  });

  test('after the checks the session writes again: afterTenant runs', async () => {
    const tenant = tenants[1]!;
    const result = await upgradeWith(
      tenant,
      'reopen',
      [{ name: 'reads', sql: 'SELECT count(*) > 0 FROM app_settings' }],
      { afterTenant: "insert into app_settings (key, value) values ('reopened', 'yes')" },
    );
    assert.equal(result.status, 'succeeded', result.error?.message);
    const db = new Database(tenant.database, { readonly: true });
    try {
      assert.ok(db.prepare("select 1 from app_settings where key = 'reopened'").get());
    } finally {
      db.close();
    }
  });
});
