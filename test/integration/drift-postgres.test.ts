// `dbfleet drift` against real PostgreSQL databases: six tenants migrated alike, then three drift in
// three ways (an extra index, a dropped column, an INVALID index left by a failed concurrent build).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ROOT, runCli } from '../helpers/cli-child.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const BASIC = join(ROOT, 'test/fixtures/migrations-basic');
const LAST = '20240104000000_create_audit.ts';

interface DriftTenant {
  id: string;
  status: string;
  version: string | null;
  fingerprint: string | null;
  group: number | null;
  differences: { kind: string; object: string; expected: string | null; found: string | null }[];
  error?: { code: string; message: string };
}

describe('dbfleet drift (PostgreSQL)', () => {
  const prefix = uniquePrefix('drift');
  const names = ['a', 'b', 'c', 'd', 'e', 'f'].map((s) => `${prefix}_${s}`);
  const [, , extraIndex, droppedColumn, invalidIndex] = names as [string, string, string, string, string];
  let dir: string;
  let inventory: string;
  const drift = (...args: string[]) => runCli(['drift', '--tenants', inventory, ...args], { cwd: dir });

  before(async () => {
    await createDatabases(names);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-drift-'));
    inventory = join(dir, 'fleet.json');
    writeFileSync(
      inventory,
      JSON.stringify(names.map((n) => ({ id: n, dialect: 'postgres', connection: pgUrl(n) }))),
    );
    const migrate = await runCli(
      ['migrate', '--tenants', inventory, '--migrations', BASIC, '--journal', join(dir, 'j.db')],
      { cwd: dir },
    );
    assert.equal(migrate.code, 0, migrate.stderr);
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a fleet migrated alike has no drift: exit 0, one group per version', async () => {
    const run = await drift('--json');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.drift.found, false);
    assert.equal(report.drift.versions.length, 1);
    assert.equal(report.drift.versions[0].version, LAST);
    assert.equal(report.drift.versions[0].groups.length, 1);
    const fingerprints = new Set(report.tenants.map((t: DriftTenant) => t.fingerprint));
    assert.equal(fingerprints.size, 1);
    for (const t of report.tenants as DriftTenant[]) {
      assert.equal(t.version, LAST);
      assert.equal(t.group, 1);
      assert.deepEqual(t.differences, []);
    }
  });

  it('three tenants drifting three ways: exit 1, each outlier described against the majority', async () => {
    await queryDatabase(extraIndex, 'create index accounts_name_idx on accounts (name)');
    await queryDatabase(droppedColumn, 'alter table accounts drop column email');
    // A unique index built concurrently over duplicates fails and stays behind, INVALID.
    await queryDatabase(invalidIndex, "insert into accounts (name) values ('twin'), ('twin')");
    await assert.rejects(
      queryDatabase(invalidIndex, 'create unique index concurrently accounts_name_key on accounts (name)'),
      /could not create unique index/,
    );

    const run = await drift('--json');
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.drift.found, true);
    assert.deepEqual(report.summary, { total: 6, succeeded: 6, failed: 0, skipped: 0 });
    const [version] = report.drift.versions;
    assert.equal(version.version, LAST);
    assert.deepEqual(
      version.groups.map((g: { tenants: string[]; majority: boolean }) => [g.tenants.length, g.majority]),
      [
        [3, true],
        [1, false],
        [1, false],
        [1, false],
      ],
    );
    const byId = new Map((report.tenants as DriftTenant[]).map((t) => [t.id, t]));
    for (const id of [names[0], names[1], names[5]]) {
      assert.equal(byId.get(id!)?.group, 1);
      assert.deepEqual(byId.get(id!)?.differences, []);
    }
    assert.deepEqual(byId.get(extraIndex)?.differences, [
      {
        kind: '+',
        object: 'index accounts_name_idx',
        expected: null,
        found: 'CREATE INDEX accounts_name_idx ON accounts USING btree (name)',
      },
    ]);
    assert.deepEqual(byId.get(droppedColumn)?.differences, [
      { kind: '-', object: 'column accounts.email', expected: 'character varying(320)', found: null },
    ]);
    assert.deepEqual(byId.get(invalidIndex)?.differences, [
      {
        kind: '!',
        object: 'index accounts_name_key',
        expected: null,
        found: 'INVALID CREATE UNIQUE INDEX accounts_name_key ON accounts USING btree (name)',
      },
    ]);
    for (const id of [extraIndex, droppedColumn, invalidIndex]) {
      const t = byId.get(id)!;
      assert.equal(t.version, LAST);
      assert.ok((t.group ?? 0) > 1);
      assert.match(String(t.fingerprint), /^[0-9a-f]{16}$/);
    }

    const table = await drift();
    assert.equal(table.code, 1, table.stderr);
    assert.match(table.stdout, /drift: 3 of 6 tenants differ from the majority on their version/);
    assert.match(table.stdout, /^ {2}group 1 {2}3 tenants {2}[0-9a-f]{16} {2}majority$/m);
    assert.match(
      table.stdout,
      /^ {2}\+ index accounts_name_idx: CREATE INDEX accounts_name_idx ON accounts/m,
    );
    assert.match(table.stdout, /^ {2}- column accounts\.email: character varying\(320\)$/m);
    assert.match(table.stdout, /^ {2}! INVALID index accounts_name_key: CREATE UNIQUE INDEX/m);
  });

  it('drift only reads: it takes no lock (a running migration does not stop it) and creates nothing', async () => {
    const catalog = 'select count(*)::int as n from pg_class';
    const before = await queryDatabase(names[0]!, catalog);
    // Another runner holds dbfleet's migration lock on the tenant (class 'dbf1', schema key '').
    const runner = new pg.Client({ connectionString: pgUrl(names[0]!) });
    await runner.connect();
    try {
      await runner.query("select pg_advisory_lock(x'64626631'::int, hashtext(''))");
      const run = await drift('--tenant', names[0]!, '--json');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).tenants[0].status, 'succeeded');
    } finally {
      await runner.end();
    }
    assert.deepEqual(await queryDatabase(names[0]!, catalog), before);
  });

  it("schema-per-tenant tenants compare with database tenants: names leave out the tenant's own schema", async () => {
    const shared = `${prefix}_shared`;
    await createDatabases([shared]);
    const mixed = join(dir, 'mixed.json');
    writeFileSync(
      mixed,
      JSON.stringify([
        { id: 'db', dialect: 'postgres', connection: pgUrl(names[0]!) },
        { id: 'plain', dialect: 'postgres', connection: pgUrl(shared), schema: 'plain' },
        { id: 'quoted', dialect: 'postgres', connection: pgUrl(shared), schema: 'Tenant-2' },
      ]),
    );
    const migrate = await runCli(
      [
        'migrate',
        '--tenants',
        mixed,
        '--tenant',
        'plain',
        '--tenant',
        'quoted',
        '--migrations',
        BASIC,
        '--journal',
        join(dir, 'm.db'),
      ],
      { cwd: dir },
    );
    assert.equal(migrate.code, 0, migrate.stderr);
    const alike = await runCli(['drift', '--tenants', mixed, '--json'], { cwd: dir });
    assert.equal(alike.code, 0, alike.stdout);
    assert.equal(JSON.parse(alike.stdout).drift.versions[0].groups.length, 1);

    await queryDatabase(shared, 'create index accounts_name_idx on "Tenant-2".accounts (name)');
    const run = await runCli(['drift', '--tenants', mixed, '--json'], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    const quoted = JSON.parse(run.stdout).tenants.find((t: DriftTenant) => t.id === 'quoted');
    assert.deepEqual(quoted.differences, [
      {
        kind: '+',
        object: 'index accounts_name_idx',
        expected: null,
        found: 'CREATE INDEX accounts_name_idx ON accounts USING btree (name)',
      },
    ]);
  });

  it('a tenant that cannot be read is failed with the reason: exit 1', async () => {
    const withMissing = join(dir, 'missing.json');
    writeFileSync(
      withMissing,
      JSON.stringify([
        { id: 'ok', dialect: 'postgres', connection: pgUrl(names[0]!) },
        { id: 'gone', dialect: 'postgres', connection: pgUrl(`${prefix}_no_such_db`) },
      ]),
    );
    const run = await runCli(['drift', '--tenants', withMissing, '--json'], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    const gone = report.tenants.find((t: DriftTenant) => t.id === 'gone');
    assert.equal(gone.status, 'failed');
    assert.equal(gone.error.code, 'DATABASE_NOT_FOUND');
    assert.equal(report.drift.found, false);
  });

  it('a configuration error exits 2', async () => {
    const run = await runCli(['drift', '--tenants', join(dir, 'no-such.json')], { cwd: dir });
    assert.equal(run.code, 2, run.stderr);
  });
});
