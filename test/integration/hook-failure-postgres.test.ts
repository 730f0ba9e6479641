// A failing beforeTenant/afterTenant hook was reported with the generic FAILED code and "what it did before
// failing stays (the tenant may be closed to its users)" — also when PostgreSQL had rolled the hook's SQL
// back whole, so the tenant had never been closed, and without saying which statement of a list failed.
// Now HOOK_FAILED, the statement, and what stays as PostgreSQL ran it (the same outcome a .sql migration's
// failure says).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UpgradeDetails } from '../../src/upgrade/types.js';
import {
  createGradesTenant,
  type GradesTenant,
  removeGradesTenant,
  upgradeGradesTenant,
} from '../helpers/grades-tenant.js';
import { queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('hook_failure');
let fleet: GradesTenant;

const CLOSE = "update app_settings set value = 'on' where key = 'maintenance'";
const REOPEN = "update app_settings set value = 'off' where key = 'maintenance'";

async function maintenance(): Promise<string> {
  const [row] = await queryDatabase<{ value: string }>(
    fleet.database,
    "select value from app_settings where key = 'maintenance'",
  );
  return row!.value;
}

const flagsTable = async () =>
  (await queryDatabase(fleet.database, "select 1 from pg_tables where tablename = 'flags'")).length === 1;

before(async () => {
  fleet = await createGradesTenant(
    prefix,
    'school-4',
    ";\ncreate table app_settings (key text primary key, value text);\ninsert into app_settings values ('maintenance', 'off');",
  );
});

after(() => removeGradesTenant(fleet, prefix));

describe('a failing hook on PostgreSQL says what stays of it', () => {
  it('beforeTenant SQL of several statements: one implicit transaction, so the tenant was not closed', async () => {
    const tenant = await upgradeGradesTenant(fleet, 'script', {
      hooks: { beforeTenant: `${CLOSE};\nselect 1/0;` },
    });
    assert.equal(tenant.status, 'failed');
    assert.equal(tenant.error?.code, 'HOOK_FAILED');
    assert.equal(
      tenant.error?.message,
      'before-tenant: division by zero — the beforeTenant hook failed: PostgreSQL ran the script as one implicit transaction, so nothing of it was applied; the tenant was not closed to its users; nothing was backed up or migrated',
    );
    assert.equal(await maintenance(), 'off', 'its UPDATE was rolled back with the rest');
    assert.equal(await flagsTable(), false);
    assert.deepEqual((tenant.details as UpgradeDetails).backups, {});
  });

  it('beforeTenant of one statement: the line and the cause, nothing stays', async () => {
    const tenant = await upgradeGradesTenant(fleet, 'single', {
      hooks: { beforeTenant: "update app_settings set valu = 'on'" },
    });
    assert.equal(tenant.error?.code, 'HOOK_FAILED');
    assert.equal(
      tenant.error?.message,
      `before-tenant: column "valu" of relation "app_settings" does not exist (line 1: update app_settings set valu = 'on') — the beforeTenant hook failed: PostgreSQL ran its one statement as a transaction of its own, so nothing of it was applied; the tenant was not closed to its users; nothing was backed up or migrated`,
    );
    assert.equal(await maintenance(), 'off');
  });

  it('beforeTenant as a list: the failing statement is named, the one before it stays', async () => {
    try {
      const tenant = await upgradeGradesTenant(fleet, 'list', {
        hooks: { beforeTenant: [CLOSE, 'select 1/0'] },
      });
      assert.equal(tenant.error?.code, 'HOOK_FAILED');
      assert.equal(
        tenant.error?.message,
        'before-tenant: division by zero (statement 2 of 2: select 1/0) — the beforeTenant hook failed: statement 1 ran before it and stays; nothing of statement 2 was applied; the tenant may be closed to its users; nothing was backed up or migrated',
      );
      assert.equal(await maintenance(), 'on');
    } finally {
      await queryDatabase(fleet.database, REOPEN);
    }
  });

  it('afterTenant rolled back whole: the upgraded tenant was not reopened, and is not rolled back', async () => {
    const tenant = await upgradeGradesTenant(fleet, 'after', {
      hooks: { beforeTenant: CLOSE, afterTenant: `${REOPEN};\nselect 1/0;` },
    });
    assert.equal(tenant.error?.code, 'HOOK_FAILED');
    assert.equal(
      tenant.error?.message,
      'after-tenant: division by zero — the afterTenant hook failed: PostgreSQL ran the script as one implicit transaction, so nothing of it was applied; the tenant was not reopened to its users; the tenant is upgraded and its post-upgrade backup verified. Not rolled back: reopen it by hand, or undo the upgrade with rollback --run',
    );
    assert.equal(await maintenance(), 'on', 'still closed');
    assert.equal(await flagsTable(), true, 'still upgraded');
  });
});
