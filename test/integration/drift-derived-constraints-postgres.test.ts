// Two tenants built alike, with constraints PostgreSQL derives and names itself (a foreign key into a
// partitioned table, a partition's key from its parent's); one is then restored from its own backup,
// which names those constraints otherwise. The restore must pass its fingerprint check, and drift must
// not tell the two apart: a tenant `rollback --run` restored showed as DRIFT against its siblings, and
// `upgrade`'s pre-flight could refuse to start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backup, drift, restore, type Tenant, validateInventory } from '../../src/index.js';
import { RENUMBERED } from '../helpers/derived-constraints.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('dcndrift');
const SIBLING = `${prefix}_sibling`;
const RESTORED = `${prefix}_restored`;
let root: string;
let tenants: [Tenant, Tenant];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'dbfleet-dcndrift-'));
  await createDatabases([SIBLING, RESTORED]);
  for (const db of [SIBLING, RESTORED]) await queryDatabase(db, RENUMBERED);
  tenants = validateInventory(
    [SIBLING, RESTORED].map((db) => ({ id: db, dialect: 'postgres', connection: pgUrl(db) })),
    'test',
  ) as [Tenant, Tenant];
});

after(async () => {
  await dropDatabases(prefix);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('drift of PostgreSQL tenants with derived constraints', () => {
  it('a tenant restored from its backup passes the restore fingerprint check', async () => {
    const backupDir = join(root, 'b');
    const taken = await backup({ tenants: [tenants[1]], backupDir, verify: 'light' });
    assert.equal(taken.tenants[0]?.status, 'succeeded', JSON.stringify(taken.tenants[0]?.error));
    const report = await restore({ tenants: [tenants[1]], backupDir, yes: true });
    const [result] = report.tenants;
    assert.equal(result?.details.restored, true, JSON.stringify(result?.error));
    assert.equal(result?.status, 'succeeded', JSON.stringify(result?.error));
    // The restore did rename them: what the test is about.
    const [row] = await queryDatabase<{ name: string }>(
      RESTORED,
      "select conname as name from pg_constraint where conrelid = 'order_lines_1'::regclass and contype = 'f'",
    );
    assert.equal(row?.name, 'order_lines_order_id_fkey');
  });

  it('the restored tenant and its sibling have one structure: no drift', async () => {
    const report = await drift({ tenants });
    assert.deepEqual(
      report.tenants.map((t) => [t.id, t.status, t.details.group, t.details.differences]),
      [
        [SIBLING, 'succeeded', 1, []],
        [RESTORED, 'succeeded', 1, []],
      ],
    );
    assert.equal(report.drift.found, false);
  });
});
