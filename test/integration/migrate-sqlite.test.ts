// dbfleet on a fleet of SQLite files, migrated with the repo's example LMS migrations (migrations/).
// Every assertion that matters reads the files themselves.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import {
  type FleetReport,
  loadMigrations,
  type Migration,
  migrate,
  readInventoryFile,
  rollback,
  status,
  type Tenant,
  type TenantResult,
} from '../../src/index.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));
const IDS = Array.from({ length: 10 }, (_, i) => `school${String(i + 1).padStart(2, '0')}`);
const LOCKED = 'school03';
const GHOST = 'ghost';

let dir: string;
let migrations: Migration[];
let names: string[];
let fleet: Tenant[];
/** The whole inventory: the ten files plus one whose file does not exist. */
let withGhost: Tenant[];
/** The tables of a tenant after the first half of the migrations. */
let firstHalfTables: Set<string>;

const fileOf = (id: string) => join(dir, 'tenants', `${id}.sqlite`);

/** Reads one tenant file with its own connection (closed again at once). */
function read<T>(id: string, fn: (db: Database.Database) => T): T {
  const db = new Database(fileOf(id), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function appliedIn(id: string): { name: string; batch: number }[] {
  return read(id, (db) => {
    const exists = db
      .prepare("select 1 from sqlite_master where type = 'table' and name = 'knex_migrations'")
      .get();
    return exists
      ? (db.prepare('select name, batch from knex_migrations order by id').all() as {
          name: string;
          batch: number;
        }[])
      : [];
  });
}

function namesIn(id: string): string[] {
  return appliedIn(id).map((r) => r.name);
}

function tablesIn(id: string): Set<string> {
  return read(
    id,
    (db) =>
      new Set(
        (db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map(
          (r) => r.name,
        ),
      ),
  );
}

function result(report: FleetReport, id: string): TenantResult {
  const r = report.tenants.find((t) => t.id === id);
  assert.ok(r, `no result for ${id}`);
  return r;
}

function applied(r: TenantResult): string[] {
  return (r.details as { applied: string[] }).applied;
}

describe('migrate a fleet of SQLite files', { timeout: 60_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-sqlite-'));
    mkdirSync(join(dir, 'tenants'));
    for (const id of IDS) new Database(fileOf(id)).close();
    // An inventory file with relative paths: they resolve against the file's folder, not the cwd.
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify({
        tenants: [
          ...IDS.map((id, i) => ({
            id,
            dialect: 'sqlite',
            connection: `tenants/${id}.sqlite`,
            tags: i < 2 ? ['canary'] : [],
          })),
          { id: GHOST, dialect: 'sqlite', connection: 'tenants/ghost.sqlite' },
        ],
      }),
    );
    withGhost = readInventoryFile(join(dir, 'tenants.json'));
    fleet = withGhost.filter((t) => t.id !== GHOST);
    migrations = await loadMigrations(MIGRATIONS);
    names = migrations.map((m) => m.name);
    assert.ok(names.length >= 6, 'the example fleet has its migrations');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const half = () => names[Math.floor(names.length / 2) - 1]!;
  const firstHalf = () => names.slice(0, names.indexOf(half()) + 1);
  const secondHalf = () => names.slice(names.indexOf(half()) + 1);

  it('migrates every file concurrently; a missing file fails alone and is not created', async () => {
    const report = await migrate({ tenants: withGhost, migrations, to: half(), concurrency: 4 });
    assert.deepEqual(report.summary, { total: IDS.length + 1, succeeded: IDS.length, failed: 1, skipped: 0 });
    const ghost = result(report, GHOST);
    assert.equal(ghost.status, 'failed');
    assert.equal(ghost.error?.code, 'UNREACHABLE');
    assert.match(ghost.error!.message, /ghost\.sqlite/);
    assert.ok(!existsSync(fileOf(GHOST)), 'a missing tenant file is never created');
    for (const id of IDS) {
      assert.equal(result(report, id).status, 'succeeded');
      assert.deepEqual(applied(result(report, id)), firstHalf());
      assert.deepEqual(
        appliedIn(id),
        firstHalf().map((name) => ({ name, batch: 1 })),
      );
      const tables = tablesIn(id);
      for (const t of [
        'users',
        'courses',
        'knex_migrations',
        'knex_migrations_lock',
        'dbfleet_migration_checksums',
      ]) {
        assert.ok(tables.has(t), `${id} lacks ${t}`);
      }
    }
    firstHalfTables = tablesIn(IDS[0]!);
  });

  it('a tenant locked by another connection is skipped with LOCKED; the rest succeed', async () => {
    const holder = new Database(fileOf(LOCKED));
    holder.exec('BEGIN EXCLUSIVE');
    let report: FleetReport;
    try {
      report = await migrate({ tenants: fleet, migrations, concurrency: 4 });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assert.deepEqual(report.summary, { total: IDS.length, succeeded: IDS.length - 1, failed: 0, skipped: 1 });
    const locked = result(report, LOCKED);
    assert.equal(locked.status, 'skipped');
    assert.equal(locked.error?.code, 'LOCKED');
    assert.deepEqual(namesIn(LOCKED), firstHalf(), 'the locked tenant was not touched');
    for (const id of IDS.filter((x) => x !== LOCKED)) {
      assert.deepEqual(applied(result(report, id)), secondHalf());
      assert.deepEqual(appliedIn(id), [
        ...firstHalf().map((name) => ({ name, batch: 1 })),
        ...secondHalf().map((name) => ({ name, batch: 2 })),
      ]);
    }
  });

  it('once the lock is gone the skipped tenant catches up; everyone else applies nothing', async () => {
    const report = await migrate({ tenants: fleet, migrations, concurrency: 4 });
    assert.equal(report.ok, true);
    assert.deepEqual(applied(result(report, LOCKED)), secondHalf());
    for (const id of IDS.filter((x) => x !== LOCKED)) assert.deepEqual(applied(result(report, id)), []);
    for (const id of IDS) assert.deepEqual(namesIn(id), names);

    const rerun = await migrate({ tenants: fleet, migrations, concurrency: 4 });
    assert.deepEqual(rerun.summary, { total: IDS.length, succeeded: IDS.length, failed: 0, skipped: 0 });
    for (const id of IDS) {
      assert.deepEqual(applied(result(rerun, id)), []);
      assert.deepEqual(namesIn(id), names);
    }
    const st = await status({ tenants: fleet, migrations });
    for (const id of IDS)
      assert.deepEqual(result(st, id).details, { current: names.at(-1), pending: [], problems: [] });
  });

  it('the example data survives: the app_settings row and the user locale column exist', () => {
    for (const id of IDS) {
      read(id, (db) => {
        const tables = new Set(
          (db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map(
            (r) => r.name,
          ),
        );
        if (tables.has('app_settings')) {
          assert.deepEqual(db.prepare("select value from app_settings where key = 'maintenance'").get(), {
            value: 'off',
          });
        }
        const columns = (db.prepare('pragma table_info(users)').all() as { name: string }[]).map(
          (c) => c.name,
        );
        if (names.some((n) => n.includes('add_user_locale'))) assert.ok(columns.includes('locale'), id);
      });
    }
  });

  it('rollback undoes the last batch on every tenant, and `to` goes back further', async () => {
    const report = await rollback({ tenants: fleet, migrations, concurrency: 4 });
    assert.equal(report.ok, true, JSON.stringify(report.tenants.filter((t) => t.status !== 'succeeded')));
    for (const id of IDS) {
      assert.deepEqual(applied(result(report, id)), [...secondHalf()].reverse());
      assert.deepEqual(namesIn(id), firstHalf());
    }
    // The tables the second half created are gone again (a file-level check, not the report's word).
    for (const id of IDS) assert.deepEqual([...tablesIn(id)].sort(), [...firstHalfTables].sort(), id);

    const canary = fleet.filter((t) => t.tags.includes('canary'));
    assert.equal(canary.length, 2);
    const to = await rollback({ tenants: canary, migrations, to: names[0]! });
    assert.equal(to.ok, true, JSON.stringify(to.tenants));
    for (const t of canary) {
      assert.deepEqual(namesIn(t.id), [names[0]]);
      const tables = tablesIn(t.id);
      assert.ok(tables.has('users'));
      assert.ok(!tables.has('courses'), 'the second migration was rolled back');
    }
    for (const id of IDS.slice(2))
      assert.deepEqual(namesIn(id), firstHalf(), 'tenants outside the selection are untouched');

    // And forward again, all the way.
    const again = await migrate({ tenants: fleet, migrations, concurrency: 4 });
    assert.equal(again.ok, true);
    for (const id of IDS) assert.deepEqual(namesIn(id), names);
  });
});
