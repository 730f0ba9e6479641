// `rollback --run` closes a tenant with its beforeTenant hook and reopens it (--reopen) with afterTenant.
// A failing hook there was reported with the generic FAILED code and the database's message alone: nothing
// said which hook, what stays of it, or whether the tenant had been rolled back. Now HOOK_FAILED, the hook's
// outcome, and what the rollback did around it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tenant } from '../../src/core/tenant.js';
import type { DialectAdapter, TenantSession } from '../../src/dialect/types.js';
import type { TenantContext } from '../../src/fleet/run-fleet.js';
import { rollbackTenant } from '../../src/upgrade/rollback-tenant.js';
import type { BackupTaken, UpgradeOperations } from '../../src/upgrade/types.js';

const TENANT: Tenant = {
  id: 'acme',
  dialect: 'postgres',
  connection: {},
  host: 'db1',
  database: 'acme',
  tags: [],
};
const BACKUP = { path: '/b/acme/1.dump', bytes: 1, sha256: 'x' } as BackupTaken;

function setup() {
  const restored: string[] = [];
  const session = {
    tenant: TENANT,
    runScript: async (sql: string) => {
      if (sql === 'select 1/0') throw new Error('division by zero');
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
  } as unknown as TenantContext;
  const operations = {
    backupAbsence: async () => undefined,
    restore: async (_: unknown, b: BackupTaken) => void restored.push(b.path),
  } as unknown as UpgradeOperations;
  return { ctx, operations, restored };
}

describe('rollbackTenant: a hook that fails', () => {
  it('beforeTenant: HOOK_FAILED, what stays of it, and nothing rolled back', async () => {
    const { ctx, operations, restored } = setup();
    const outcome = await rollbackTenant(
      ctx,
      { operations, with: 'restore', upgradeRun: 'u1', runId: 'r2', hooks: { beforeTenant: 'select 1/0' } },
      { applied: ['m1'], backup: BACKUP },
    );
    assert.deepEqual(restored, []);
    assert.equal(outcome.error?.code, 'HOOK_FAILED');
    assert.equal(
      outcome.error?.message,
      'division by zero — the beforeTenant hook failed: what it did before failing stays; the tenant may be closed to its users; nothing was rolled back',
    );
  });

  it('afterTenant (--reopen): says the restore before it succeeded', async () => {
    const { ctx, operations, restored } = setup();
    const outcome = await rollbackTenant(
      ctx,
      {
        operations,
        with: 'restore',
        upgradeRun: 'u1',
        runId: 'r2',
        reopen: true,
        hooks: { afterTenant: ["update app_settings set value = 'off'", 'select 1/0'] },
      },
      { applied: ['m1'], backup: BACKUP },
    );
    assert.deepEqual(restored, ['/b/acme/1.dump']);
    assert.equal(outcome.error?.code, 'HOOK_FAILED');
    assert.equal(
      outcome.error?.message,
      "division by zero (statement 2 of 2: select 1/0) — the afterTenant hook failed: statement 1 ran before it and stays; its users may be back in or still out; the rollback before it succeeded: the tenant's data was replaced by its pre-upgrade backup",
    );
  });
});
