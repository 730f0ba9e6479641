// A tenant with an INVALID index — what a failed CREATE INDEX CONCURRENTLY leaves behind, common in the
// wild — must still get a deep-verified backup: pg_dump leaves the index out, so the restored copy has
// none, and the fingerprint must not expect it. Drift still reports the index.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backup, drift, type Tenant, validateInventory } from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('bkinvalid');
const DB = `${prefix}_a`;
/** Two tenants like DB without the failed index build: the majority drift compares DB with. */
const TWINS = [`${prefix}_b`, `${prefix}_c`];
let root: string;
let tenant: Tenant;
let twins: Tenant[];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'dbfleet-bkinvalid-'));
  await createDatabases([DB, ...TWINS]);
  for (const db of [DB, ...TWINS]) {
    await queryDatabase(db, 'create table accounts (id int primary key, email text)');
    await queryDatabase(db, "insert into accounts values (1, 'a@x'), (2, 'a@x')");
  }
  // Fails on the duplicate and leaves accounts_email_key behind, INVALID.
  await assert.rejects(
    queryDatabase(DB, 'create unique index concurrently accounts_email_key on accounts (email)'),
    /duplicate|could not create unique index/,
  );
  const [row] = await queryDatabase<{ valid: boolean }>(
    DB,
    "select indisvalid as valid from pg_index where indexrelid = 'accounts_email_key'::regclass",
  );
  assert.equal(row?.valid, false, 'the setup left an INVALID index');
  [tenant, ...twins] = validateInventory(
    [DB, ...TWINS].map((db) => ({ id: db, dialect: 'postgres', connection: pgUrl(db) })),
    'test',
  ) as [Tenant, ...Tenant[]];
});

after(async () => {
  await dropDatabases(prefix);
  await dropDatabases(`dbfleet_verify_${prefix}`);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a PostgreSQL tenant with an INVALID index', () => {
  it('backs up and deep-verifies: the restored copy matches the fingerprint', async () => {
    const report = await backup({ tenants: [tenant], backupDir: join(root, 'b'), verify: 'deep' });
    const [result] = report.tenants;
    assert.equal(result?.status, 'succeeded', JSON.stringify(result?.error));
    assert.equal(result?.details.backup?.verified, 'deep');
  });

  it('drift still sees the INVALID index', async () => {
    const report = await drift({ tenants: [...twins, tenant] });
    const outlier = report.tenants.find((t) => t.id === tenant.id);
    const found = JSON.stringify(outlier?.details.differences);
    assert.match(found, /accounts_email_key/);
    assert.match(found, /INVALID|valid/i);
  });
});
