// Against the real server: names PostgreSQL would change are refused before anything
// runs (exit 2), and names it keeps but pg_restore prints differently (a newline, a space in an owner,
// a schema called DATA) no longer make a good backup fail its light verification as BACKUP_INCOMPLETE.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BackupDetails, backup } from '../../src/backup/index.js';
import type { FleetReport } from '../../src/fleet/report.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { migrate } from '../../src/migration/migrate-fleet.js';
import {
  adminQuery,
  createDatabases,
  dropDatabases,
  PG_ADMIN_URL,
  pgUrl,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/dbfleet.js');
const MIGRATIONS = join(ROOT, 'test/fixtures/migrations-basic');

const prefix = uniquePrefix('ident');
const ODD_DB = `${prefix}_odd`;
const SHARED_DB = `${prefix}_shared`;
const OWNER = `${prefix} app user`; // a role whose name has spaces
const NEWLINE_SCHEMA = `${prefix}_ten\nant`;
let tmp: string;

function only(report: FleetReport) {
  assert.equal(report.tenants.length, 1);
  return report.tenants[0]!;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'dbfleet-ident-pg-'));
  await createDatabases([ODD_DB, SHARED_DB]);
  await adminQuery(`create role ${quote(OWNER)}`);
  await queryDatabase(
    ODD_DB,
    `create schema ${quote('ten\nant')};
     create table ${quote('ten\nant')}.${quote('or\nders')} (id int primary key, note text);
     insert into ${quote('ten\nant')}.${quote('or\nders')} select g, 'n' || g from generate_series(1, 5) g;
     create table ${quote('ta\rb')} (id int);
     create schema "DATA";
     create table "DATA".x (id int);
     create table ${quote('a b')} (id int);
     alter table ${quote('a b')} owner to ${quote(OWNER)};
     create table ${quote('a.b')} (id int);`,
  );
});

after(async () => {
  await dropDatabases(prefix);
  await adminQuery(`drop role if exists ${quote(OWNER)}`);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('PostgreSQL identifiers', () => {
  it('names PostgreSQL would truncate, and dotted schemas, are refused with exit 2 before anything runs', async () => {
    const long = `${prefix}_${'s'.repeat(63)}`.slice(0, 63);
    const inventory = join(tmp, 'tenants.json');
    writeFileSync(
      inventory,
      JSON.stringify([
        // Before: both tenants silently migrated one schema, `long` cut at 63 bytes.
        { id: 'long-a', dialect: 'postgres', connection: pgUrl(SHARED_DB), schema: `${long}_a` },
        { id: 'long-b', dialect: 'postgres', connection: pgUrl(SHARED_DB), schema: `${long}_b` },
        // Before: failed mid-migration with "zero-length delimited identifier".
        { id: 'dotted', dialect: 'postgres', connection: pgUrl(SHARED_DB), schema: `${prefix}.x` },
        { id: 'fine', dialect: 'postgres', connection: pgUrl(SHARED_DB), schema: `${prefix}_fine` },
      ]),
    );
    const run = await promisify(execFile)(
      process.execPath,
      [BIN, 'migrate', '--tenants', inventory, '--migrations', MIGRATIONS, '--json'],
      { cwd: tmp, env: { ...process.env, CI: '1' } },
    ).then(
      () => assert.fail('migrate succeeded'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /3 problem\(s\)/);
    assert.match(run.stderr, /tenant "long-a".*is 65 bytes; PostgreSQL keeps only the first 63/);
    assert.match(run.stderr, /tenant "long-b".*is 65 bytes/);
    assert.match(run.stderr, /tenant "dotted".*contains '\.'/);
    const schemas = await queryDatabase<{ nspname: string }>(
      SHARED_DB,
      'select nspname from pg_namespace where starts_with(nspname, $1)',
      [prefix],
    );
    assert.deepEqual(schemas, [], 'nothing was created, not even the valid tenant');
  });

  it('a backup of tables named with newlines, spaces and dots, a DATA schema and an owner with spaces verifies', async () => {
    const [tenant] = validateInventory(
      [{ id: 'odd', dialect: 'postgres', connection: pgUrl(ODD_DB, PG_ADMIN_URL) }],
      'test',
    );
    const report = await backup({ tenants: [tenant!], backupDir: join(tmp, 'bk-odd'), verify: 'deep' });
    const result = only(report);
    assert.equal(result.status, 'succeeded', result.error?.message);
    const details = result.details as unknown as BackupDetails;
    assert.equal(details.backup?.verified, 'deep');
    assert.equal(details.fingerprint?.tables, 5);
  });

  it('a tenant whose schema has a newline migrates, backs up and verifies', async () => {
    const [tenant] = validateInventory(
      [{ id: 'nl', dialect: 'postgres', connection: pgUrl(SHARED_DB), schema: NEWLINE_SCHEMA }],
      'test',
    );
    const migrated = only(await migrate({ tenants: [tenant!], migrations: MIGRATIONS }));
    assert.equal(migrated.status, 'succeeded', migrated.error?.message);
    const backedUp = only(
      await backup({ tenants: [tenant!], backupDir: join(tmp, 'bk-nl'), verify: 'deep' }),
    );
    assert.equal(backedUp.status, 'succeeded', backedUp.error?.message);
    assert.equal((backedUp.details as unknown as BackupDetails).backup?.verified, 'deep');
  });
});
