// A migration whose up() never settles (a forgotten await, an HTTP call that hangs) was bounded by nothing:
// its tenant sat "idle in transaction", holding the ACCESS EXCLUSIVE lock of its DDL, for as long as the
// process ran, and the first Ctrl-C waited for it for ever. Now a migration with no query in flight for
// longer than the statement timeout fails STATEMENT_TIMEOUT and its session is closed under it, so the
// server rolls it back. One that keeps sending queries, or pauses between them for less, is not bounded.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadMigrations, migrate, type Tenant, validateInventory } from '../../src/index.js';
import {
  adminQuery,
  createDatabases,
  dropDatabases,
  pgUrl,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';

const prefix = uniquePrefix('idlebound');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-idle-bound-'));
const tenantOf = (db: string): Tenant =>
  validateInventory([{ id: db, dialect: 'postgres', connection: pgUrl(db) }], 'test')[0] as Tenant;
const exists = async (db: string, table: string) =>
  (await queryDatabase<{ t: string | null }>(db, `select to_regclass('${table}') as t`))[0]?.t !== null;
const history = async (db: string) =>
  (await exists(db, 'knex_migrations'))
    ? (await queryDatabase<{ name: string }>(db, 'select name from knex_migrations')).map((r) => r.name)
    : [];

async function run(label: string, dbs: string[], files: Record<string, string>, statementTimeoutMs = 1000) {
  const dir = join(root, label);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const t0 = Date.now();
  const report = await migrate({
    tenants: dbs.map(tenantOf),
    migrations: await loadMigrations(dir),
    timeouts: { statementTimeoutMs },
  });
  return { report, ms: Date.now() - t0 };
}

// Hangs on the tenant whose database name ends in `_hang` only.
const HANGS = (body: string) =>
  `exports.up = async (knex) => { ${body} if (knex.client.config.connection.database.endsWith('_hang')) await new Promise(() => {}); };\nexports.down = async () => {};\n`;

const dbs = ['hang', 'ok', 'ntx_hang', 'many', 'pauses'].map((s) => `${prefix}_${s}`);
before(() => createDatabases(dbs));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

describe('a migration with no query in flight for longer than the statement timeout', () => {
  it('hangs after its DDL: STATEMENT_TIMEOUT in seconds, rolled back, no backend left; another tenant succeeds', async () => {
    const [hang, ok] = [`${prefix}_hang`, `${prefix}_ok`];
    const { report, ms } = await run('hang', [hang, ok], {
      '001_nev.js': HANGS("await knex.raw('create table nev(id int)');"),
    });
    const failed = report.tenants.find((t) => t.id === hang)!;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'STATEMENT_TIMEOUT', JSON.stringify(failed.error));
    assert.match(
      failed.error?.message ?? '',
      /^001_nev\.js: sent no query for 1(?:\.0)?s while running \(a promise that never settles\? a missing await\?\): its session was closed, so its transaction was rolled back; nothing of it was applied$/,
    );
    assert.ok(ms < 10_000, `took ${ms}ms`);
    assert.equal(report.tenants.find((t) => t.id === ok)?.status, 'succeeded');
    assert.equal(await exists(hang, 'nev'), false);
    assert.deepEqual(await history(hang), []);
    assert.equal(await exists(ok, 'nev'), true);
    assert.deepEqual(await history(ok), ['001_nev.js']);
    const left = await adminQuery('select pid, state from pg_stat_activity where datname = $1', [hang]);
    assert.deepEqual(left, []);
  });

  it('without a transaction: fails the same way and says what stays', async () => {
    const db = `${prefix}_ntx_hang`;
    const { report } = await run('ntx', [db], {
      '001_ntx.js': `exports.config = { transaction: false };\n${HANGS("await knex.raw('create table ntx(id int)');")}`,
    });
    const failed = report.tenants[0]!;
    assert.equal(failed.error?.code, 'STATEMENT_TIMEOUT', JSON.stringify(failed.error));
    assert.match(failed.error?.message ?? '', /what it ran before stays applied .* not recorded as applied$/);
    assert.doesNotMatch(failed.error?.message ?? '', /nothing of it was applied/);
    assert.equal(await exists(db, 'ntx'), true);
    assert.deepEqual(await history(db), []);
    assert.deepEqual(await adminQuery('select pid from pg_stat_activity where datname = $1', [db]), []);
  });

  it('many quick statements in its transaction over longer than the timeout: succeeds', async () => {
    // Also pins that queries on the migration's knex transaction reach the session knex's events (knex 3.3).
    const db = `${prefix}_many`;
    const { report, ms } = await run('many', [db], {
      '001_many.js':
        "exports.up = async (knex) => { const end = Date.now() + 2500; while (Date.now() < end) await knex.raw('select pg_sleep(0.05)'); await knex.raw('create table many(id int)'); };\nexports.down = async () => {};\n",
    });
    assert.equal(report.tenants[0]?.status, 'succeeded', JSON.stringify(report.tenants[0]?.error));
    assert.ok(ms > 2500);
    assert.equal(await exists(db, 'many'), true);
  });

  it('slow JS work between queries, each pause shorter than the bound: succeeds', async () => {
    const db = `${prefix}_pauses`;
    const { report } = await run('pauses', [db], {
      '001_pauses.js':
        "const pause = () => new Promise((r) => setTimeout(r, 600));\nexports.up = async (knex) => { await knex.raw('select 1'); await pause(); await knex.schema.createTable('pauses', (t) => t.increments('id')); await pause(); await knex('pauses').insert({}); await pause(); };\nexports.down = async () => {};\n",
    });
    assert.equal(report.tenants[0]?.status, 'succeeded', JSON.stringify(report.tenants[0]?.error));
    assert.equal(await exists(db, 'pauses'), true);
  });
});
