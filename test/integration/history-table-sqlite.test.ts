// knex's `migrations.tableName` on SQLite files, through the library and through the CLI's config:
// dbfleet keeps the history where knex would, and knex's own `migrate.list` agrees with it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import {
  type FleetReport,
  migrate,
  rollback,
  status,
  type Tenant,
  type TenantResult,
  validateInventory,
} from '../../src/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/dbfleet.js');
const JS_ONLY = join(ROOT, 'test/fixtures/migrations-js');
const NAMES = readdirSync(JS_ONLY)
  .filter((n) => n.endsWith('.js'))
  .sort();
const HISTORY = { tableName: 'app_history' };
const HISTORY_TABLES = ['app_history', 'app_history_lock', 'app_history_dbfleet_checksums'];
const DEFAULT_TABLES = ['knex_migrations', 'knex_migrations_lock', 'dbfleet_migration_checksums'];

let dir: string;
let migrations: string;

function tenantFile(id: string): string {
  const file = join(dir, `${id}.sqlite`);
  new Database(file).close();
  return file;
}

function tenants(ids: string[]): Tenant[] {
  return validateInventory(
    ids.map((id) => ({ id, dialect: 'sqlite', connection: join(dir, `${id}.sqlite`) })),
    'test inventory',
  );
}

function tablesIn(id: string): Set<string> {
  const db = new Database(join(dir, `${id}.sqlite`), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("select name from sqlite_master where type = 'table'").all() as {
      name: string;
    }[];
    return new Set(rows.map((r) => r.name).filter((n) => !n.startsWith('sqlite_')));
  } finally {
    db.close();
  }
}

function succeeded(report: FleetReport): TenantResult {
  assert.equal(report.tenants.length, 1);
  const r = report.tenants[0]!;
  assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
  return r;
}

/** knex's own migrator on a plain knex instance, as a knex user runs it. */
async function withKnex<T>(id: string, fn: (knex: ReturnType<typeof knexFactory>) => Promise<T>): Promise<T> {
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: join(dir, `${id}.sqlite`) },
    useNullAsDefault: true,
  });
  try {
    return await fn(knex);
  } finally {
    await knex.destroy();
  }
}

async function knexList(id: string): Promise<{ completed: string[]; pending: string[] }> {
  return withKnex(id, async (knex) => {
    const [completed, pending] = (await knex.migrate.list({ ...HISTORY, directory: migrations })) as [
      { name: string }[],
      { file: string }[],
    ];
    return { completed: completed.map((c) => c.name), pending: pending.map((p) => p.file) };
  });
}

/** Runs the CLI in the test folder; resolves with its exit code and output (bounded by a timeout). */
function dbfleet(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: dir, env: { ...process.env, CI: '1' }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

describe('history in the knexfile’s own table (SQLite)', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-history-sqlite-'));
    migrations = join(dir, 'migrations');
    cpSync(JS_ONLY, migrations, { recursive: true });
    mkdirSync(join(dir, 'optimizations')); // upgrade's optimize step: nothing to do
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tableName: migrate, status and rollback use it, and knex agrees', async () => {
    tenantFile('a');
    const fleet = tenants(['a']);
    succeeded(await migrate({ tenants: fleet, migrations, history: HISTORY }));
    const tables = tablesIn('a');
    for (const t of HISTORY_TABLES) assert.ok(tables.has(t), `no ${t}`);
    for (const t of DEFAULT_TABLES) assert.ok(!tables.has(t), `${t} created`);
    assert.deepEqual(await knexList('a'), { completed: NAMES, pending: [] });

    const st = succeeded(await status({ tenants: fleet, migrations, history: HISTORY })).details as {
      current: string;
      pending: string[];
    };
    assert.deepEqual([st.current, st.pending], [NAMES[2], []]);

    succeeded(await rollback({ tenants: fleet, migrations, history: HISTORY, to: NAMES[0] }));
    assert.deepEqual(await knexList('a'), { completed: [NAMES[0]], pending: NAMES.slice(1) });
    assert.ok(!tablesIn('a').has('gadgets'));

    // knex applies the rest; dbfleet agrees and adopts them.
    await withKnex('a', (knex) => knex.migrate.latest({ ...HISTORY, directory: migrations }));
    const after = succeeded(await status({ tenants: fleet, migrations, history: HISTORY })).details as {
      current: string;
      pending: string[];
      problems: string[];
    };
    assert.deepEqual([after.current, after.pending, after.problems], [NAMES[2], [], []]);
    succeeded(await migrate({ tenants: fleet, migrations, history: HISTORY }));
    const db = new Database(join(dir, 'a.sqlite'), { readonly: true });
    try {
      assert.deepEqual(
        db.prepare('select name, source from app_history_dbfleet_checksums order by name').all(),
        [
          { name: NAMES[0], source: 'applied' },
          { name: NAMES[1], source: 'adopted' },
          { name: NAMES[2], source: 'adopted' },
        ],
      );
    } finally {
      db.close();
    }
  });

  it('schemaName on SQLite is refused before anything runs (knex cannot keep it there either)', async () => {
    tenantFile('s');
    await assert.rejects(
      migrate({ tenants: tenants(['s']), migrations, history: { schemaName: 'app' } }),
      (err: Error) => {
        assert.equal(err.name, 'UsageError');
        assert.match(err.message, /without schemas/);
        return true;
      },
    );
    assert.deepEqual(tablesIn('s'), new Set());
  });

  it("the CLI reads the knexfile's migrations.tableName (and refuses schemaName here with exit 2)", async () => {
    tenantFile('c');
    const inventory = join(dir, 'fleet.json');
    writeFileSync(inventory, JSON.stringify([{ id: 'c', dialect: 'sqlite', connection: 'c.sqlite' }]));
    const config = (migrationsConfig: object) =>
      writeFileSync(
        join(dir, 'knexfile.json'),
        JSON.stringify({ inventory: { file: './fleet.json' }, migrations: migrationsConfig }),
      );

    config({ directory: './migrations', tableName: 'app_history' });
    const run = await dbfleet(['migrate', '--json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(JSON.parse(run.stdout).tenants[0].applied, NAMES);
    const tables = tablesIn('c');
    for (const t of HISTORY_TABLES) assert.ok(tables.has(t), `no ${t}`);
    assert.ok(!tables.has('knex_migrations'));
    const st = await dbfleet(['status', '--json']);
    assert.equal(st.code, 0, st.stderr + st.stdout);
    assert.equal(JSON.parse(st.stdout).tenants[0].current, NAMES[2]);

    // rollback and upgrade take the same table: back to the first, then the whole runbook re-applies.
    const back = await dbfleet(['rollback', '--to', NAMES[0]!, '--json']);
    assert.equal(back.code, 0, back.stderr + back.stdout);
    const up = await dbfleet(['upgrade', '--json']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.deepEqual(JSON.parse(up.stdout).tenants[0].applied, NAMES.slice(1));
    assert.ok(!tablesIn('c').has('knex_migrations'));
    const db = new Database(join(dir, 'c.sqlite'), { readonly: true });
    try {
      assert.deepEqual(
        db.prepare('select name, batch from app_history order by id').all(),
        NAMES.map((name, i) => ({ name, batch: i === 0 ? 1 : 2 })),
      );
    } finally {
      db.close();
    }

    config({ directory: './migrations', tableName: 'app_history', schemaName: 'app' });
    const refused = await dbfleet(['status', '--json']);
    assert.equal(refused.code, 2, refused.stderr + refused.stdout);
    assert.match(refused.stderr, /schemaName/);
  });
});
