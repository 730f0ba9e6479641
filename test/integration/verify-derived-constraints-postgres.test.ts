// A tenant with constraints PostgreSQL derives itself (a foreign key into a partitioned table, a
// partition's key from its parent's) and names itself: a pg_dump/pg_restore round trip names them
// otherwise, and every deep verify of such a good backup failed FINGERPRINT_MISMATCH. The fingerprint
// now knows a derived constraint by its top-level parent's name. A manifest written before (no
// fingerprint version: hashes under the constraints' own names) must still verify when nothing is wrong.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { BackupManifest } from '../../src/backup/manifest.js';
import type { Fingerprint } from '../../src/dialect/backup-types.js';
import { buildFingerprint, hashOf } from '../../src/dialect/fingerprint-hash.js';
import { type TableRow, tablesSql } from '../../src/dialect/postgres/fingerprint-sql.js';
import { backup, type Tenant, validateInventory, verify } from '../../src/index.js';
import { deepVerifyPassed } from '../helpers/deep-verify-passed.js';
import { RENUMBERED, SETTLED } from '../helpers/derived-constraints.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('dcnverify');
const RENUMBERED_DB = `${prefix}_renumbered`;
const SETTLED_DB = `${prefix}_settled`;
let root: string;

const tenantOf = (db: string): Tenant =>
  validateInventory([{ id: db, dialect: 'postgres', connection: pgUrl(db) }], 'test')[0] as Tenant;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'dbfleet-dcnverify-'));
  await createDatabases([RENUMBERED_DB, SETTLED_DB]);
  await queryDatabase(RENUMBERED_DB, RENUMBERED);
  await queryDatabase(SETTLED_DB, SETTLED);
});

after(async () => {
  await dropDatabases(prefix);
  await dropDatabases(`dbfleet_verify_${prefix}`);
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * The fingerprint as dbfleet wrote it before fingerprint versions, for the same catalog rows: each
 * table's hash over its constraints' own names (`name definition`, in the catalog's order by name), the
 * formula test/unit/drift-shapes.test.ts pins. Row counts and objects are the manifest's own.
 */
async function legacyFingerprint(db: string, current: Fingerprint): Promise<Fingerprint> {
  const client = new pg.Client({ connectionString: pgUrl(db) });
  await client.connect();
  try {
    const results = (await client.query(
      `begin; set local search_path = pg_catalog; ${tablesSql(null)}; commit`,
    )) as unknown as { rows: TableRow[] }[];
    const tables = Object.fromEntries(
      results[2]!.rows.map((t) => {
        const key = `${t.schema}.${t.name}`;
        const schema = hashOf([
          t.kind,
          t.persistence,
          t.partkey,
          t.partbound,
          t.columns,
          t.indexes.filter(([, , valid]) => valid).map(([, definition]) => definition),
          t.constraints.map(([name, definition]) => `${name} ${definition}`),
        ]);
        return [key, { ...current.tables[key], schema }];
      }),
    );
    return buildFingerprint(current.level, tables, current.objects);
  } finally {
    await client.end();
  }
}

describe('deep verify of a PostgreSQL tenant with derived constraints', () => {
  it('backup --verify deep passes although the restore numbers the derived keys otherwise', async () => {
    const report = await backup({
      tenants: [tenantOf(RENUMBERED_DB)],
      backupDir: join(root, 'renumbered'),
      verify: 'deep',
    });
    const [result] = report.tenants;
    assert.equal(result?.status, 'succeeded', JSON.stringify(result?.error));
    assert.equal(result?.details.backup?.verified, 'deep');
  });

  it('verify --deep of a backup of it passes every check', async () => {
    const backupDir = join(root, 'renumbered-later');
    const taken = await backup({ tenants: [tenantOf(RENUMBERED_DB)], backupDir, verify: 'light' });
    assert.equal(taken.tenants[0]?.status, 'succeeded', JSON.stringify(taken.tenants[0]?.error));
    const report = await verify({ tenants: [tenantOf(RENUMBERED_DB)], backupDir, deep: true });
    deepVerifyPassed(report.tenants[0]);
  });

  it('a manifest written before fingerprint versions still deep-verifies', async () => {
    const backupDir = join(root, 'settled');
    const taken = await backup({ tenants: [tenantOf(SETTLED_DB)], backupDir, verify: 'none' });
    assert.equal(taken.tenants[0]?.status, 'succeeded', JSON.stringify(taken.tenants[0]?.error));
    const path = `${taken.tenants[0]?.details.backup?.path}.manifest.json`;
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as BackupManifest;
    const legacy = await legacyFingerprint(SETTLED_DB, manifest.fingerprint);
    writeFileSync(path, JSON.stringify({ ...manifest, fingerprint: legacy }, null, 2));

    const report = await verify({ tenants: [tenantOf(SETTLED_DB)], backupDir, deep: true });
    deepVerifyPassed(report.tenants[0]);
    // The old hash is not the new one for a table with derived keys: the verify read the manifest as old.
    assert.notEqual(
      legacy.tables['public.orders']?.schema,
      manifest.fingerprint.tables['public.orders']?.schema,
    );
  });
});
