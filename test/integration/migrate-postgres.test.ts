// dbfleet against a real PostgreSQL: throwaway databases on the local server (see test/helpers/postgres.ts).
// Every assertion that matters reads the databases themselves (knex_migrations, information_schema,
// pg_indexes), not only the report.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  type FleetEvent,
  type FleetReport,
  loadMigrations,
  type Migration,
  migrate,
  plan,
  repair,
  rollback,
  status,
  type Tenant,
  type TenantResult,
  toJsonReport,
  validateInventory,
} from '../../src/index.js';
import {
  adminQuery,
  dropDatabases,
  PG_ADMIN_URL,
  pgUrl,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASIC = join(ROOT, 'test/fixtures/migrations-basic');
const JS_ONLY = join(ROOT, 'test/fixtures/migrations-js');
const KNEX_BIN = join(ROOT, 'node_modules/.bin/knex');

const M1 = '20240101000000_create_accounts.ts';
const M2 = '20240101000100_create_projects.js';
const M3 = '20240102000000_create_labels.sql';
const M4 = '20240103000000_add_account_email.ts';
const M5 = '20240104000000_create_audit.ts';
const BASIC_NAMES = [M1, M2, M3, M4, M5];
const BASIC_TABLES = ['accounts', 'projects', 'labels', 'audit'];
const HISTORY_TABLES = ['knex_migrations', 'knex_migrations_lock', 'dbfleet_migration_checksums'];

const prefix = uniquePrefix('mpg');
const db = (label: string) => `${prefix}_${label}`;

const FLEET = Array.from({ length: 52 }, (_, i) => db(`f${String(i).padStart(2, '0')}`));
const ADMIN_HOST = new URL(PG_ADMIN_URL).hostname;
/** A second spelling of the same server, so the fleet spans two "hosts" and both caps matter. */
const ALT_HOST = ADMIN_HOST === '127.0.0.1' ? 'localhost' : ADMIN_HOST;

const ALL_DATABASES = [
  ...FLEET,
  ...['e1', 'e2', 'e3'],
  ...['x_ok1', 'x_ok2', 'x_bad1', 'x_bad2'],
  ...['ci1', 'ci2'],
  ...['c1', 'c2', 'c3', 'c4', 'c5', 'c6'],
  ...['u1', 'u2', 'u3'],
  'lk',
  ...['k1', 'k2'],
  ...['kl', 'up'],
  'pw',
  'schemas',
  'rb',
  ...['st1', 'st2'],
  'oo',
].map((label) => (label.startsWith(prefix) ? label : db(label)));

// ---------------------------------------------------------------------------------------------- helpers

let tmpRoot: string;
let basic: Migration[];
/** The big fleet is dropped in the background once its test is done (DROP DATABASE is slow on PG 15). */
let fleetDropped: Promise<unknown> = Promise.resolve();

function url(database: string, host = ADMIN_HOST): string {
  const u = new URL(pgUrl(database));
  u.hostname = host;
  return u.toString();
}

function tenants(
  entries: (string | { id: string; connection?: string; schema?: string; host?: string })[],
): Tenant[] {
  return validateInventory(
    entries.map((e) => {
      const x = typeof e === 'string' ? { id: e } : e;
      return {
        id: x.id,
        dialect: 'postgres',
        connection: x.connection ?? url(x.id, x.host),
        ...(x.schema ? { schema: x.schema } : {}),
      };
    }),
    'test inventory',
  );
}

const q = queryDatabase;

async function appliedIn(database: string, schema = 'public'): Promise<{ name: string; batch: number }[]> {
  const rows = await q<{ name: string; batch: number }>(
    database,
    `select name, batch from "${schema}".knex_migrations order by id`,
  );
  return rows.map((r) => ({ name: r.name, batch: Number(r.batch) }));
}

async function namesIn(database: string, schema = 'public'): Promise<string[]> {
  return (await appliedIn(database, schema)).map((r) => r.name);
}

async function tablesIn(database: string, schema = 'public'): Promise<Set<string>> {
  const rows = await q<{ table_name: string }>(
    database,
    'select table_name from information_schema.tables where table_schema = $1',
    [schema],
  );
  return new Set(rows.map((r) => r.table_name));
}

async function columnsOf(database: string, table: string, schema = 'public'): Promise<string[]> {
  const rows = await q<{ column_name: string }>(
    database,
    'select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
    [schema, table],
  );
  return rows.map((r) => r.column_name);
}

/** A copy of the basic fixture in a temp dir (ESM package, like the repo), plus extra files, minus some. */
function migrationsDir(label: string, extra: Record<string, string> = {}, without: string[] = []): string {
  const dir = join(tmpRoot, label);
  cpSync(BASIC, dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const name of without) rmSync(join(dir, name));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

function byId(report: FleetReport): Map<string, TenantResult> {
  return new Map(report.tenants.map((t) => [t.id, t]));
}

function result(report: FleetReport, id: string): TenantResult {
  const r = byId(report).get(id);
  assert.ok(r, `no result for ${id}`);
  return r;
}

function applied(r: TenantResult): string[] {
  return (r.details as { applied: string[] }).applied;
}

function assertAllSucceeded(report: FleetReport): void {
  const bad = report.tenants
    .filter((t) => t.status !== 'succeeded')
    .map((t) => `${t.id}: ${t.status} ${JSON.stringify(t.error)}`);
  assert.deepEqual(bad, [], 'every tenant succeeds');
  assert.equal(report.ok, true);
}

function knexfile(label: string, database: string, directory: string): string {
  const file = join(tmpRoot, `${label}.knexfile.cjs`);
  writeFileSync(
    file,
    `module.exports = ${JSON.stringify({ client: 'pg', connection: pgUrl(database), migrations: { directory } }, null, 2)};\n`,
  );
  return file;
}

function knexCli(args: string[]): string {
  return execFileSync(KNEX_BIN, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Runs one admin statement per name over `width` connections at once. */
async function eachOnAdmin(names: string[], width: number, sql: (name: string) => string): Promise<void> {
  const queue = [...names];
  await Promise.all(
    Array.from({ length: Math.min(width, queue.length) }, async () => {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL });
      await client.connect();
      try {
        for (let name = queue.shift(); name !== undefined; name = queue.shift())
          await client.query(sql(name));
      } finally {
        await client.end();
      }
    }),
  );
}

/**
 * Drops this file's databases over many connections at once: on PostgreSQL 15 every DROP DATABASE waits
 * for a checkpoint, and concurrent drops share them — one by one takes minutes on a busy server.
 */
async function dropAll(): Promise<void> {
  const rows = await adminQuery<{ datname: string }>(
    'select datname from pg_database where starts_with(datname, $1)',
    [prefix],
  );
  await eachOnAdmin(
    rows.map((r) => r.datname),
    20,
    (name) => `drop database if exists ${quoteIdent(name)} with (force)`,
  );
  await dropDatabases(prefix); // anything left over, the helper's way
}

// ------------------------------------------------------------------------------------------------ suite

describe('migrate on PostgreSQL', { timeout: 120_000 }, () => {
  before(async () => {
    tmpRoot = mkdtempSync(join(tmpdir(), 'dbfleet-pg-'));
    // knex's CLI looks for its local install from the knexfile's folder.
    symlinkSync(join(ROOT, 'node_modules'), join(tmpRoot, 'node_modules'), 'dir');
    basic = await loadMigrations(BASIC);
    await eachOnAdmin(ALL_DATABASES, 6, (name) => `create database ${quoteIdent(name)}`);
  });

  after(async () => {
    await fleetDropped;
    await dropAll();
    rmSync(tmpRoot, { recursive: true, force: true });
  });

  it('loads the fixture: module, JS and .sql migrations in name order', () => {
    assert.deepEqual(
      basic.map((m) => m.name),
      BASIC_NAMES,
    );
    assert.deepEqual(
      basic.map((m) => m.kind),
      ['module', 'module', 'sql', 'module', 'module'],
    );
    assert.equal(typeof basic[2]!.down, 'function', 'the .down.sql is paired');
  });

  it(`migrates ${FLEET.length} databases concurrently within the caps; a rerun applies nothing`, async (t) => {
    const inventory = tenants(FLEET.map((id, i) => ({ id, host: i % 2 ? ALT_HOST : ADMIN_HOST })));
    const hostOf = new Map(inventory.map((t) => [t.database, t.host]));
    assert.equal(new Set(hostOf.values()).size, ADMIN_HOST === ALT_HOST ? 1 : 2);

    // Sample the server every ~10 ms while the fleet runs.
    const sampler = new pg.Client({ connectionString: PG_ADMIN_URL });
    await sampler.connect();
    let sampling = true;
    let peak = 0;
    let samples = 0;
    const peakPerHost = new Map<string, number>();
    const sampled = (async () => {
      while (sampling) {
        const { rows } = await sampler.query<{ datname: string }>(
          "select datname from pg_stat_activity where application_name = 'dbfleet' and starts_with(datname, $1)",
          [prefix],
        );
        samples++;
        peak = Math.max(peak, rows.length);
        const perHost = new Map<string, number>();
        for (const { datname } of rows)
          perHost.set(hostOf.get(datname) ?? '?', (perHost.get(hostOf.get(datname) ?? '?') ?? 0) + 1);
        for (const [h, n] of perHost) peakPerHost.set(h, Math.max(peakPerHost.get(h) ?? 0, n));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const events: FleetEvent[] = [];
    let inFlight = 0;
    let peakInFlight = 0;
    let report: FleetReport;
    try {
      report = await migrate({
        tenants: inventory,
        migrations: BASIC,
        concurrency: 8,
        perHost: 4,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'tenant:start') peakInFlight = Math.max(peakInFlight, ++inFlight);
          if (e.type === 'tenant:done') inFlight--;
        },
      });
    } finally {
      sampling = false;
      await sampled;
      await sampler.end();
    }

    t.diagnostic(
      `${FLEET.length} tenants in ${report.durationMs} ms; peak ${peak} connections (${[...peakPerHost].map(([h, n]) => `${h}: ${n}`).join(', ')}) over ${samples} samples`,
    );
    assertAllSucceeded(report);
    assert.equal(report.command, 'migrate');
    assert.deepEqual(report.summary, { total: FLEET.length, succeeded: FLEET.length, failed: 0, skipped: 0 });
    for (const t of report.tenants) assert.deepEqual(applied(t), BASIC_NAMES, t.id);

    assert.ok(samples > 5, `only ${samples} samples of pg_stat_activity`);
    assert.ok(peak <= 8, `peak ${peak} dbfleet connections > concurrency 8`);
    assert.ok(peak >= 2, `peak ${peak}: the fleet did not run concurrently`);
    for (const [h, n] of peakPerHost) assert.ok(n <= 4, `${h}: ${n} connections > per-host 4`);
    assert.ok(peakInFlight <= 8 && peakInFlight >= 2, `tenants in flight peaked at ${peakInFlight}`);

    // The databases themselves.
    for (const name of FLEET) {
      assert.deepEqual(
        await appliedIn(name),
        BASIC_NAMES.map((n) => ({ name: n, batch: 1 })),
        name,
      );
      const tables = await tablesIn(name);
      for (const t of [...BASIC_TABLES, ...HISTORY_TABLES]) assert.ok(tables.has(t), `${name} lacks ${t}`);
    }
    const sample = FLEET[7]!;
    assert.deepEqual(
      (await q<{ label: string }>(sample, 'select label from labels order by id')).map((r) => r.label),
      ['why?', 'what?'],
    );
    assert.ok((await columnsOf(sample, 'accounts')).includes('email'));
    const checksums = await q<{ name: string; checksum: string; source: string }>(
      sample,
      'select * from dbfleet_migration_checksums order by name',
    );
    assert.deepEqual(
      checksums.map((c) => [c.name, c.checksum, c.source]),
      basic.map((m) => [m.name, m.checksum, 'applied']),
    );
    assert.deepEqual(
      await q(sample, 'select is_locked from knex_migrations_lock'),
      [{ is_locked: 0 }],
      "dbfleet never leaves knex's lock row set",
    );

    const appliedEvents = events.filter((e) => e.type === 'migration:applied');
    assert.equal(appliedEvents.length, FLEET.length * BASIC_NAMES.length);
    assert.equal(events.at(-1)?.type, 'run:done');
    // Events name hosts (`postgres://127.0.0.1:5432`, for the per-host view) but never a connection string.
    const eventText = JSON.stringify(events);
    assert.doesNotMatch(eventText, /postgres:\/\/[^"\s]*@/, 'events carry no credentials');
    for (const t of inventory.slice(0, 5))
      assert.ok(!eventText.includes(`${t.host}/${t.database}`), 'events carry no connection strings');

    // Rerun: nothing to do, nothing written.
    const maxIds = await Promise.all(
      FLEET.slice(0, 5).map((n) => q<{ max: number }>(n, 'select max(id) as max from knex_migrations')),
    );
    const rerun = await migrate({ tenants: inventory, migrations: basic, concurrency: 8, perHost: 4 });
    assertAllSucceeded(rerun);
    for (const t of rerun.tenants) assert.deepEqual(applied(t), [], `${t.id} applied something on the rerun`);
    for (const [i, n] of FLEET.slice(0, 5).entries()) {
      assert.deepEqual(await q(n, 'select max(id) as max from knex_migrations'), maxIds[i]);
      assert.equal((await namesIn(n)).length, BASIC_NAMES.length);
    }

    const st = await status({ tenants: inventory.slice(0, 10), migrations: basic });
    assertAllSucceeded(st);
    for (const t of st.tenants) assert.deepEqual(t.details, { current: M5, pending: [], problems: [] });

    // No later test uses these databases: drop them while the others run (awaited in `after`).
    fleetDropped = eachOnAdmin(
      FLEET,
      8,
      (name) => `drop database if exists ${quoteIdent(name)} with (force)`,
    ).catch((err) => err);
  });

  it('refuses an edited migration (nothing applied), ignores a CRLF-only change, and repair accepts the edit', async () => {
    const ids = ['e1', 'e2', 'e3'].map(db);
    const inventory = tenants(ids);
    const dir = migrationsDir('edited');
    assertAllSucceeded(await migrate({ tenants: inventory, migrations: dir }));

    // A Windows checkout: every file now has CRLF line endings. Not an edit.
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/\r?\n/g, '\r\n'));
    }
    const crlf = await migrate({ tenants: inventory, migrations: dir });
    assertAllSucceeded(crlf);
    for (const t of crlf.tenants) assert.deepEqual(applied(t), []);

    // A real edit, plus a new pending migration that must not be applied while the edit stands.
    writeFileSync(join(dir, M4), `${readFileSync(join(dir, M4), 'utf8')}// edited after release\r\n`);
    writeFileSync(
      join(dir, '20240105000000_create_more.ts'),
      "export async function up(knex) { await knex.schema.createTable('more', (t) => t.increments()); }\nexport async function down(knex) { await knex.schema.dropTable('more'); }\n",
    );
    const refused = await migrate({ tenants: inventory, migrations: dir });
    assert.equal(refused.ok, false);
    for (const id of ids) {
      const r = result(refused, id);
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'CHECKSUM_MISMATCH');
      assert.match(r.error!.message, new RegExp(M4.replace(/\./g, '\\.')));
      assert.deepEqual(applied(r), []);
      assert.deepEqual(await namesIn(id), BASIC_NAMES, 'nothing was applied');
      assert.ok(!(await tablesIn(id)).has('more'));
    }

    const st = await status({ tenants: inventory, migrations: dir });
    for (const id of ids) {
      const r = result(st, id);
      assert.equal(r.status, 'failed');
      const details = r.details as { problems: string[]; pending: string[] };
      assert.equal(details.problems.length, 1);
      assert.match(details.problems[0]!, /20240103000000_add_account_email\.ts was edited/);
      assert.deepEqual(details.pending, ['20240105000000_create_more.ts']);
    }

    const repaired = await repair({ tenants: inventory, migrations: dir });
    assertAllSucceeded(repaired);
    const current = (await loadMigrations(dir)).find((m) => m.name === M4)!;
    for (const id of ids) {
      assert.deepEqual((result(repaired, id).details as { repaired: string[] }).repaired, [M4]);
      const [row] = await q<{ checksum: string; source: string }>(
        id,
        'select checksum, source from dbfleet_migration_checksums where name = $1',
        [M4],
      );
      assert.deepEqual(row, { checksum: current.checksum, source: 'repaired' });
    }

    const after = await migrate({ tenants: inventory, migrations: dir });
    assertAllSucceeded(after);
    for (const id of ids) {
      assert.deepEqual(applied(result(after, id)), ['20240105000000_create_more.ts']);
      assert.ok((await tablesIn(id)).has('more'));
      assert.deepEqual(await namesIn(id), [...BASIC_NAMES, '20240105000000_create_more.ts']);
    }
  });

  it('a failing migration fails only its tenants and leaves no partial change', async () => {
    const ok = ['x_ok1', 'x_ok2'].map(db);
    const bad = ['x_bad1', 'x_bad2'].map(db);
    const FLAKY = '20240105000000_flaky.ts';
    const LATER = '20240106000000_after_flaky.ts';
    const dir = migrationsDir('failing', {
      [FLAKY]: [
        'export async function up(knex) {',
        "  await knex.schema.createTable('flaky', (t) => t.increments());",
        "  await knex('accounts').insert({ name: 'written by the failing migration' });",
        "  const { rows } = await knex.raw('select current_database() as db');",
        "  if (rows[0].db.includes('_x_bad')) await knex.raw('select * from no_such_table_here');",
        '}',
        "export async function down(knex) { await knex.schema.dropTable('flaky'); }",
        '',
      ].join('\n'),
      [LATER]:
        "export async function up(knex) { await knex.schema.createTable('after_flaky', (t) => t.increments()); }\nexport async function down(knex) { await knex.schema.dropTable('after_flaky'); }\n",
    });
    const report = await migrate({ tenants: tenants([...ok, ...bad]), migrations: dir, concurrency: 4 });
    assert.equal(report.ok, false);
    assert.deepEqual(report.summary, { total: 4, succeeded: 2, failed: 2, skipped: 0 });
    for (const id of ok) {
      assert.equal(result(report, id).status, 'succeeded');
      assert.deepEqual(applied(result(report, id)), [...BASIC_NAMES, FLAKY, LATER]);
      assert.ok((await tablesIn(id)).has('flaky'));
    }
    for (const id of bad) {
      const r = result(report, id);
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'MIGRATION_FAILED');
      assert.match(r.error!.message, /20240105000000_flaky\.ts/);
      assert.match(r.error!.message, /no_such_table_here/);
      assert.deepEqual(applied(r), BASIC_NAMES, 'the earlier migrations of the run are reported applied');
      assert.deepEqual(await namesIn(id), BASIC_NAMES, 'the earlier migrations stay applied');
      const tables = await tablesIn(id);
      assert.ok(!tables.has('flaky'), "the failed migration's table was rolled back");
      assert.ok(!tables.has('after_flaky'), 'nothing after the failure ran');
      assert.deepEqual(
        await q(id, 'select count(*)::int as n from accounts'),
        [{ n: 0 }],
        'its insert was rolled back too',
      );
      assert.deepEqual(await q(id, 'select is_locked from knex_migrations_lock'), [{ is_locked: 0 }]);
    }
  });

  it('runs non-transactional migrations: CREATE INDEX CONCURRENTLY from .ts (config) and from a CRLF .sql', async () => {
    const ids = ['ci1', 'ci2'].map(db);
    const dir = migrationsDir('concurrently', {
      '20240105000000_index_concurrently.ts': [
        'export const config = { transaction: false };',
        'export async function up(knex) {',
        "  await knex.raw('create index concurrently accounts_name_idx on accounts (name)');",
        '}',
        'export async function down(knex) {',
        "  await knex.raw('drop index concurrently accounts_name_idx');",
        '}',
        '',
      ].join('\n'),
      // CRLF, as checked out on Windows: the settings line must still be honoured.
      '20240106000000_index_concurrently.sql':
        '-- dbfleet: transaction=false\r\ncreate index concurrently projects_title_idx on projects (title);\r\n',
      // Saved by an editor that writes a UTF-8 BOM: the BOM is not SQL.
      '20240107000000_bom.sql': '\uFEFFcreate table bom_saved (id int);\r\n',
      '20240107000000_bom.down.sql': '\uFEFFdrop table bom_saved;\r\n',
    });
    const migrations = await loadMigrations(dir);
    assert.deepEqual(
      migrations.slice(-3).map((m) => m.config.transaction),
      [false, false, true],
    );
    const report = await migrate({ tenants: tenants(ids), migrations });
    assertAllSucceeded(report);
    for (const id of ids) {
      assert.deepEqual(applied(result(report, id)).slice(-3), [
        '20240105000000_index_concurrently.ts',
        '20240106000000_index_concurrently.sql',
        '20240107000000_bom.sql',
      ]);
      assert.ok((await tablesIn(id)).has('bom_saved'));
      const indexes = await q<{ indexname: string; valid: boolean }>(
        id,
        `select i.indexname, x.indisvalid as valid from pg_indexes i
           join pg_class c on c.relname = i.indexname join pg_index x on x.indexrelid = c.oid
          where i.schemaname = 'public' and i.indexname in ('accounts_name_idx', 'projects_title_idx') order by 1`,
      );
      assert.deepEqual(indexes, [
        { indexname: 'accounts_name_idx', valid: true },
        { indexname: 'projects_title_idx', valid: true },
      ]);
      assert.equal((await namesIn(id)).length, 8);
    }
    // The BOM'd down script runs too.
    assertAllSucceeded(
      await rollback({ tenants: tenants(ids), migrations, to: '20240106000000_index_concurrently.sql' }),
    );
    for (const id of ids) assert.ok(!(await tablesIn(id)).has('bom_saved'));
  });

  it('two runs started at once apply each migration exactly once', async () => {
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map(db);
    const inventory = tenants(ids);
    const [a, b] = await Promise.all([
      migrate({ tenants: inventory, migrations: basic, concurrency: 6 }),
      migrate({ tenants: inventory, migrations: basic, concurrency: 6 }),
    ]);
    for (const id of ids) {
      const counts = await q<{ name: string; n: number }>(
        id,
        'select name, count(*)::int as n from knex_migrations group by name order by name',
      );
      assert.deepEqual(
        counts,
        BASIC_NAMES.map((name) => ({ name, n: 1 })),
        id,
      );
      const ra = result(a, id);
      const rb = result(b, id);
      for (const r of [ra, rb]) {
        assert.notEqual(r.status, 'failed', `${id}: ${JSON.stringify(r.error)}`);
        if (r.status === 'skipped') assert.equal(r.error?.code, 'LOCKED');
      }
      const appliedBy = [ra, rb].filter((r) => r.status === 'succeeded' && applied(r).length > 0);
      assert.equal(appliedBy.length, 1, `${id}: exactly one run applied the migrations`);
      assert.deepEqual(applied(appliedBy[0]!), BASIC_NAMES);
    }
  });

  it('an unreachable tenant fails alone with UNREACHABLE', async () => {
    const ids = ['u1', 'u2', 'u3'].map(db);
    const inventory = tenants([
      ...ids,
      { id: 'nowhere', connection: 'postgres://postgres@127.0.0.1:1/nowhere' },
    ]);
    const t0 = Date.now();
    const report = await migrate({ tenants: inventory, migrations: basic });
    assert.ok(Date.now() - t0 < 15_000);
    assert.deepEqual(report.summary, { total: 4, succeeded: 3, failed: 1, skipped: 0 });
    const r = result(report, 'nowhere');
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'UNREACHABLE');
    assert.deepEqual(applied(r), []);
    for (const id of ids) assert.deepEqual(await namesIn(id), BASIC_NAMES);
  });

  it('a held table lock makes the migration fail fast with LOCK_TIMEOUT, changing nothing', async () => {
    const id = db('lk');
    const inventory = tenants([id]);
    assertAllSucceeded(await migrate({ tenants: inventory, migrations: basic }));
    const ALTER = '20240105000000_alter_accounts.ts';
    const dir = migrationsDir('locked', {
      [ALTER]:
        "export async function up(knex) { await knex.schema.alterTable('accounts', (t) => { t.string('nickname', 50); }); }\nexport async function down(knex) { await knex.schema.alterTable('accounts', (t) => { t.dropColumn('nickname'); }); }\n",
    });
    const holder = new pg.Client({ connectionString: pgUrl(id), application_name: 'lock-holder' });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table accounts in access exclusive mode');
      const t0 = Date.now();
      const report = await migrate({ tenants: inventory, migrations: dir, timeouts: { lockTimeoutMs: 500 } });
      const elapsed = Date.now() - t0;
      const r = result(report, id);
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'LOCK_TIMEOUT');
      assert.match(r.error!.message, /20240105000000_alter_accounts\.ts/);
      assert.ok(elapsed < 5_000, `took ${elapsed} ms`);
      assert.ok(r.durationMs < 5_000);
      assert.ok(r.durationMs >= 400, `gave up after ${r.durationMs} ms, before the lock timeout`);
    } finally {
      await holder.query('rollback').catch(() => {});
      await holder.end();
    }
    assert.deepEqual(await namesIn(id), BASIC_NAMES);
    assert.ok(!(await columnsOf(id, 'accounts')).includes('nickname'));
    // Once the lock is gone the same migration goes through.
    const retry = await migrate({ tenants: inventory, migrations: dir, timeouts: { lockTimeoutMs: 500 } });
    assertAllSucceeded(retry);
    assert.ok((await columnsOf(id, 'accounts')).includes('nickname'));
  });

  it("knex's own CLI agrees with dbfleet's history, and dbfleet adopts what knex applied", async () => {
    const [k1, k2] = ['k1', 'k2'].map(db) as [string, string];
    const jsNames = readdirSync(JS_ONLY)
      .filter((n) => n.endsWith('.js'))
      .sort();
    assert.equal(jsNames.length, 3);

    // dbfleet first, then knex's CLI lists the history.
    assertAllSucceeded(await migrate({ tenants: tenants([k1]), migrations: JS_ONLY }));
    const list1 = knexCli(['migrate:list', '--knexfile', knexfile('k1', k1, JS_ONLY)]);
    assert.match(list1, /Found 3 Completed Migration file\/files/i, list1);
    assert.match(list1, /No Pending Migration files Found/i, list1);

    // knex first (two of three, through its CLI), then dbfleet adopts them and applies only the third.
    const file2 = knexfile('k2', k2, JS_ONLY);
    knexCli(['migrate:up', '--knexfile', file2]);
    knexCli(['migrate:up', '--knexfile', file2]);
    assert.deepEqual(await namesIn(k2), jsNames.slice(0, 2));
    const report = await migrate({ tenants: tenants([k2]), migrations: JS_ONLY });
    assertAllSucceeded(report);
    assert.deepEqual(applied(result(report, k2)), [jsNames[2]]);
    assert.deepEqual(await appliedIn(k2), [
      { name: jsNames[0], batch: 1 },
      { name: jsNames[1], batch: 2 },
      { name: jsNames[2], batch: 3 },
    ]);
    const sources = await q<{ name: string; source: string }>(
      k2,
      'select name, source from dbfleet_migration_checksums order by name',
    );
    assert.deepEqual(sources, [
      { name: jsNames[0], source: 'adopted' },
      { name: jsNames[1], source: 'adopted' },
      { name: jsNames[2], source: 'applied' },
    ]);
    assert.ok((await tablesIn(k2)).has('gadgets'));
    const list2 = knexCli(['migrate:list', '--knexfile', file2]);
    assert.match(list2, /No Pending Migration files Found/i, list2);

    // And knex can roll back what dbfleet applied (the history is really knex's).
    knexCli(['migrate:rollback', '--knexfile', file2]);
    assert.deepEqual(await namesIn(k2), jsNames.slice(0, 2));
    assert.ok(!(await tablesIn(k2)).has('gadgets'));

    // knex's rollback left the third checksum row behind: applying it again replaces that row.
    await q(k2, "update dbfleet_migration_checksums set checksum = 'stale' where name = $1", [jsNames[2]]);
    assertAllSucceeded(await migrate({ tenants: tenants([k2]), migrations: JS_ONLY }));
    const third = await q<{ checksum: string; source: string }>(
      k2,
      'select checksum, source from dbfleet_migration_checksums where name = $1',
      [jsNames[2]],
    );
    const expected = (await loadMigrations(JS_ONLY)).find((m) => m.name === jsNames[2])!.checksum;
    assert.deepEqual(third, [{ checksum: expected, source: 'applied' }]);
  });

  it("knex's lock row set: the migration rolls back with KNEX_LOCKED; an up-to-date tenant needs no lock", async () => {
    const [kl, up] = ['kl', 'up'].map(db) as [string, string];
    const first4 = basic.slice(0, 4);
    assertAllSucceeded(await migrate({ tenants: tenants([kl, up]), migrations: first4 }));

    // The row is checked in the migration's own transaction: nothing of M5 survives, not even its table.
    await q(kl, 'update knex_migrations_lock set is_locked = 1');
    const refused = result(await migrate({ tenants: tenants([kl]), migrations: basic }), kl);
    assert.equal(refused.status, 'failed');
    assert.equal(refused.error?.code, 'KNEX_LOCKED');
    assert.match(refused.error!.message, /knex migrate:unlock/);
    assert.deepEqual(await namesIn(kl), BASIC_NAMES.slice(0, 4));
    assert.ok(!(await tablesIn(kl)).has('audit'));
    const checksums = await q<{ n: number }>(
      kl,
      'select count(*)::int as n from dbfleet_migration_checksums',
    );
    assert.deepEqual(checksums, [{ n: 4 }]);
    await q(kl, 'update knex_migrations_lock set is_locked = 0');
    assertAllSucceeded(await migrate({ tenants: tenants([kl]), migrations: basic }));
    assert.deepEqual(await namesIn(kl), BASIC_NAMES);

    // Another runner holds `up`'s session lock: with nothing pending the tenant is read without it and
    // succeeds; with a migration pending it is skipped, as before.
    const holder = new pg.Client({ connectionString: pgUrl(up), application_name: 'runner-2' });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock(x'64626631'::int, hashtext(''))");
      const idle = result(await migrate({ tenants: tenants([up]), migrations: first4 }), up);
      assert.equal(idle.status, 'succeeded', JSON.stringify(idle.error));
      assert.deepEqual(applied(idle), []);
      const busy = result(await migrate({ tenants: tenants([up]), migrations: basic }), up);
      assert.equal(busy.status, 'skipped');
      assert.equal(busy.error?.code, 'LOCKED');
    } finally {
      await holder.end();
    }
    assert.deepEqual(await namesIn(up), BASIC_NAMES.slice(0, 4));
  });

  it('a password in a tenant URL appears in no report and no event', async () => {
    const SECRET = 'S3cretPassw0rd';
    const inventory = tenants([
      db('pw'),
      { id: 'leaky', connection: `postgres://postgres:${SECRET}@127.0.0.1:1/x` },
    ]);
    const events: FleetEvent[] = [];
    const onEvent = (e: FleetEvent) => events.push(e);
    const reports = [
      await migrate({ tenants: inventory, migrations: basic, onEvent }),
      await migrate({ tenants: inventory, migrations: basic, dryRun: true, onEvent }),
      await status({ tenants: inventory, migrations: basic, onEvent }),
      await plan({ tenants: inventory, migrations: basic, sql: true, onEvent }),
      await rollback({ tenants: inventory, migrations: basic, onEvent }),
      await repair({ tenants: inventory, migrations: basic, onEvent }),
    ];
    for (const report of reports) {
      assert.equal(result(report, 'leaky').status, 'failed');
      assert.equal(result(report, 'leaky').error?.code, 'UNREACHABLE');
      const json = JSON.stringify(toJsonReport(report));
      assert.ok(!json.includes(SECRET), `${report.command} report leaks the password: ${json}`);
      assert.ok(!JSON.stringify(report).includes(SECRET));
    }
    assert.ok(events.length > 20);
    const leaking = events.filter((e) => JSON.stringify(e).includes(SECRET));
    assert.deepEqual(leaking, []);
    assert.equal(result(reports[0]!, db('pw')).status, 'succeeded');
  });

  it('schema-per-tenant: each tenant gets its tables and its own knex_migrations in its schema', async () => {
    const database = db('schemas');
    const schemas = ['acme', 'globex', 'initech'];
    const inventory = tenants(
      schemas.map((schema) => ({ id: `s_${schema}`, connection: url(database), schema })),
    );
    assert.equal(new Set(inventory.map((t) => t.host)).size, 1);
    const report = await migrate({ tenants: inventory, migrations: basic, concurrency: 3 });
    assertAllSucceeded(report);
    for (const schema of schemas) {
      assert.deepEqual(applied(result(report, `s_${schema}`)), BASIC_NAMES);
      const tables = await tablesIn(database, schema);
      for (const t of [...BASIC_TABLES, ...HISTORY_TABLES]) assert.ok(tables.has(t), `${schema} lacks ${t}`);
      assert.deepEqual(await namesIn(database, schema), BASIC_NAMES);
      assert.equal(
        (await q<{ n: number }>(database, `select count(*)::int as n from "${schema}".labels`))[0]!.n,
        2,
      );
    }
    const pub = await tablesIn(database, 'public');
    for (const t of [...BASIC_TABLES, ...HISTORY_TABLES]) assert.ok(!pub.has(t), `public got ${t}`);

    // Rolling back one schema leaves the others alone.
    const one = inventory.filter((t) => t.schema === 'globex');
    assertAllSucceeded(await rollback({ tenants: one, migrations: basic }));
    assert.deepEqual(await namesIn(database, 'globex'), []);
    assert.ok(!(await tablesIn(database, 'globex')).has('accounts'));
    assert.deepEqual(await namesIn(database, 'acme'), BASIC_NAMES);
    const st = await status({ tenants: inventory, migrations: basic });
    assert.equal((result(st, 's_globex').details as { pending: string[] }).pending.length, 5);
    assert.equal((result(st, 's_acme').details as { pending: string[] }).pending.length, 0);
  });

  it('status on a schema tenant that was never migrated creates nothing, not even its schema', async () => {
    const database = db('schemas');
    const inventory = tenants([{ id: 's_umbrella', connection: url(database), schema: 'umbrella' }]);
    const st = await status({ tenants: inventory, migrations: basic });
    assertAllSucceeded(st);
    assert.deepEqual(result(st, 's_umbrella').details, { current: null, pending: BASIC_NAMES, problems: [] });
    const schemas = await q(database, "select nspname from pg_namespace where nspname = 'umbrella'");
    assert.deepEqual(schemas, [], 'status created the schema');
  });

  it('rollback undoes the last batch; with `to` it goes back to a named migration', async () => {
    const id = db('rb');
    const inventory = tenants([id]);
    assertAllSucceeded(await migrate({ tenants: inventory, migrations: basic, to: M3 }));
    assert.deepEqual(
      await appliedIn(id),
      [M1, M2, M3].map((name) => ({ name, batch: 1 })),
    );
    assertAllSucceeded(await migrate({ tenants: inventory, migrations: basic }));
    assert.deepEqual(
      (await appliedIn(id)).map((r) => r.batch),
      [1, 1, 1, 2, 2],
    );

    const last = await rollback({ tenants: inventory, migrations: basic });
    assertAllSucceeded(last);
    assert.equal(last.command, 'rollback');
    assert.deepEqual(result(last, id).details, { applied: [M5, M4], current: M3 });
    assert.deepEqual(await namesIn(id), [M1, M2, M3]);
    assert.ok(!(await tablesIn(id)).has('audit'));
    assert.ok(!(await columnsOf(id, 'accounts')).includes('email'));
    assert.equal((await q(id, 'select * from dbfleet_migration_checksums')).length, 3);

    const notApplied = await rollback({ tenants: inventory, migrations: basic, to: M5 });
    assert.equal(result(notApplied, id).status, 'failed');
    assert.equal(result(notApplied, id).error?.code, 'NOT_APPLIED');
    assert.deepEqual(await namesIn(id), [M1, M2, M3]);

    const to = await rollback({ tenants: inventory, migrations: basic, to: M1 });
    assertAllSucceeded(to);
    assert.deepEqual(result(to, id).details, { applied: [M3, M2], current: M1 });
    assert.deepEqual(await namesIn(id), [M1]);
    const tables = await tablesIn(id);
    assert.ok(tables.has('accounts'));
    assert.ok(!tables.has('labels'), 'the .down.sql ran');
    assert.ok(!tables.has('projects'));

    await assert.rejects(
      rollback({ tenants: inventory, migrations: basic, to: 'no_such_migration.ts' }),
      /no such migration/,
    );

    assertAllSucceeded(await rollback({ tenants: inventory, migrations: basic }));
    assert.deepEqual(await namesIn(id), []);
    const nothing = await rollback({ tenants: inventory, migrations: basic });
    assertAllSucceeded(nothing);
    assert.deepEqual(result(nothing, id).details, { applied: [], current: null });

    // And forward again from scratch.
    assertAllSucceeded(await migrate({ tenants: inventory, migrations: basic }));
    assert.deepEqual(await namesIn(id), BASIC_NAMES);

    // A tenant that was never migrated has nothing to roll back (and rollback creates nothing there).
    const fresh = db('st1');
    const never = await rollback({ tenants: tenants([fresh]), migrations: basic });
    assertAllSucceeded(never);
    assert.deepEqual(result(never, fresh).details, { applied: [], current: null });
    assert.ok(!(await tablesIn(fresh)).has('knex_migrations'));
    const neverTo = await rollback({ tenants: tenants([fresh]), migrations: basic, to: M1 });
    assert.equal(result(neverTo, fresh).error?.code, 'NOT_APPLIED');
  });

  it('status and plan report current/pending/problems and change nothing; plan --sql shows the SQL', async () => {
    const [fresh, half] = ['st1', 'st2'].map(db) as [string, string];
    const inventory = tenants([fresh, half]);
    assertAllSucceeded(await migrate({ tenants: tenants([half]), migrations: basic, to: M3 }));

    const st = await status({ tenants: inventory, migrations: basic });
    assertAllSucceeded(st);
    assert.equal(st.command, 'status');
    assert.deepEqual(result(st, fresh).details, { current: null, pending: BASIC_NAMES, problems: [] });
    assert.deepEqual(result(st, half).details, { current: M3, pending: [M4, M5], problems: [] });
    const jsonTenants = toJsonReport(st).tenants as { id: string }[];
    assert.deepEqual(
      jsonTenants.sort((x, y) => x.id.localeCompare(y.id)),
      [
        {
          id: fresh,
          status: 'succeeded',
          durationMs: result(st, fresh).durationMs,
          current: null,
          pending: BASIC_NAMES,
          problems: [],
        },
        {
          id: half,
          status: 'succeeded',
          durationMs: result(st, half).durationMs,
          current: M3,
          pending: [M4, M5],
          problems: [],
        },
      ],
    );
    assert.ok(!(await tablesIn(fresh)).has('knex_migrations'), 'status created no table');

    const p = await plan({ tenants: inventory, migrations: basic, sql: true });
    assertAllSucceeded(p);
    assert.equal(p.command, 'plan');
    const sqlOf = (id: string) => (result(p, id).details as { sql: Record<string, string[]> }).sql;
    assert.deepEqual(Object.keys(sqlOf(half)), [M4, M5]);
    assert.match(sqlOf(half)[M4]!.join('\n'), /alter table "accounts" add column "email" varchar\(320\)/i);
    assert.match(sqlOf(half)[M5]!.join('\n'), /create table "audit"/i);
    assert.match(sqlOf(fresh)[M3]!.join('\n'), /create table labels/i);
    assert.deepEqual(Object.keys(sqlOf(fresh)), BASIC_NAMES);
    assert.ok(!(await tablesIn(fresh)).has('knex_migrations'), 'plan created no table');
    assert.ok(!(await tablesIn(fresh)).has('accounts'), 'plan ran nothing');
    assert.deepEqual(await namesIn(half), [M1, M2, M3]);
    assert.ok(!(await tablesIn(half)).has('audit'));

    // A dry run reports what would be applied and applies nothing.
    const dry = await migrate({ tenants: inventory, migrations: basic, dryRun: true });
    assertAllSucceeded(dry);
    assert.deepEqual(result(dry, half).details, { applied: [], current: M3, pending: [M4, M5] });
    assert.deepEqual(result(dry, fresh).details, { applied: [], current: null, pending: BASIC_NAMES });
    assert.deepEqual(await namesIn(half), [M1, M2, M3]);
    const freshTables = await tablesIn(fresh);
    assert.ok(!freshTables.has('accounts'));
    assert.deepEqual([...freshTables], [], 'a dry run creates nothing, not even the history tables');
  });

  it('refuses an out-of-order pending migration unless allowOutOfOrder', async () => {
    const id = db('oo');
    const inventory = tenants([id]);
    assertAllSucceeded(await migrate({ tenants: inventory, migrations: basic.filter((m) => m.name !== M4) }));
    assert.deepEqual(await namesIn(id), [M1, M2, M3, M5]);

    const refused = await migrate({ tenants: inventory, migrations: basic });
    const r = result(refused, id);
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'OUT_OF_ORDER');
    assert.match(
      r.error!.message,
      /20240103000000_add_account_email\.ts sorts before the newest applied one \(20240104000000_create_audit\.ts\)/,
    );
    assert.deepEqual(await namesIn(id), [M1, M2, M3, M5]);
    assert.ok(!(await columnsOf(id, 'accounts')).includes('email'));

    const allowed = await migrate({ tenants: inventory, migrations: basic, allowOutOfOrder: true });
    assertAllSucceeded(allowed);
    assert.deepEqual(applied(result(allowed, id)), [M4]);
    assert.deepEqual(await namesIn(id), [M1, M2, M3, M5, M4]);
    assert.ok((await columnsOf(id, 'accounts')).includes('email'));
  });
});
