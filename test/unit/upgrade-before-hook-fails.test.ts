// A beforeTenant hook that fails part-way keeps what it did before failing: with a list of statements,
// the first (closing the tenant) is committed when the second fails. The tenant failed with just
// "before-tenant: division by zero", which reads as if its users had never been shut out. Then it was said
// with the generic FAILED code and without which statement failed: now HOOK_FAILED, naming it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tenant } from '../../src/core/tenant.js';
import type { DialectAdapter, TenantSession } from '../../src/dialect/types.js';
import type { TenantContext } from '../../src/fleet/run-fleet.js';
import { upgradeTenant } from '../../src/upgrade/pipeline.js';
import type { UpgradeOperations } from '../../src/upgrade/types.js';

const TENANT: Tenant = {
  id: 'school-7',
  dialect: 'postgres',
  connection: {},
  host: 'db1',
  database: 'school_7',
  tags: [],
};

describe('upgradeTenant: a beforeTenant hook that fails part-way', () => {
  it('says the tenant may be closed to its users, and backs up and migrates nothing', async () => {
    const ran: string[] = [];
    const session = {
      tenant: TENANT,
      runScript: async (sql: string) => {
        if (sql === 'select 1/0') throw new Error('division by zero');
        ran.push(sql);
      },
      outsideTransaction: () => true,
    } as unknown as TenantSession;
    const ctx = {
      tenant: TENANT,
      adapter: { name: 'postgres', classifyError: () => undefined } as unknown as DialectAdapter,
      signal: new AbortController().signal,
      emit: () => {},
      session: async () => session,
      releaseSession: async () => {},
      secondConnection: (fn: () => unknown) => fn(),
    } as unknown as TenantContext;
    const called: string[] = [];
    const record = (name: string) => async () => {
      called.push(name);
      throw new Error(`${name} must not run`);
    };
    const ops = {
      backup: record('backup'),
      verify: record('verify'),
      migrate: record('migrate'),
      optimize: record('optimize'),
      restore: record('restore'),
      down: record('down'),
    } as unknown as UpgradeOperations;
    const close = "update app_settings set value = 'on' where key = 'maintenance'";
    const outcome = await upgradeTenant(ctx, ops, {
      runId: 'run-1',
      hooks: { beforeTenant: [close, 'select 1/0'] },
      checks: [],
      onFailure: 'rollback',
      rollbackWith: 'restore',
      deepVerify: false,
      skipBackup: false,
      checkpoint: async () => {},
    });
    assert.deepEqual(ran, [close]);
    assert.deepEqual(called, []);
    assert.equal(outcome.error?.code, 'HOOK_FAILED');
    assert.equal(
      outcome.error?.message,
      'before-tenant: division by zero (statement 2 of 2: select 1/0) — the beforeTenant hook failed: statement 1 ran before it and stays; the tenant may be closed to its users; nothing was backed up or migrated',
    );
  });
});
