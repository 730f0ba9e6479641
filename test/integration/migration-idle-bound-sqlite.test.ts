// SQLite: a migration whose up() never settles held its transaction — and the file's write lock — for as
// long as the process ran. Now one with no query in flight for longer than the statement timeout fails
// STATEMENT_TIMEOUT and its connection is closed under it (SQLite rolls the transaction back); closing the
// session no longer waits for ever on the pool the stuck transaction holds. See the PostgreSQL test too.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadMigrations, migrate, type Tenant, validateInventory } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-idle-bound-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));

// Hangs on the tenant whose file name ends in `hang.sqlite` only.
const HANGS = (body: string) =>
  `exports.up = async (knex) => { ${body} if (knex.client.config.connection.filename.endsWith('hang.sqlite')) await new Promise(() => {}); };\nexports.down = async () => {};\n`;

async function run(label: string, ids: string[], files: Record<string, string>) {
  const dir = join(root, label);
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'migrations', name), text);
  const tenants = ids.map((id) => {
    const file = join(dir, `${id}.sqlite`);
    new Database(file).close();
    return validateInventory([{ id, dialect: 'sqlite', connection: file }], 'test')[0] as Tenant;
  });
  const t0 = Date.now();
  const report = await migrate({
    tenants,
    migrations: await loadMigrations(join(dir, 'migrations')),
    timeouts: { statementTimeoutMs: 1000 },
  });
  const ms = Date.now() - t0;
  const read = (id: string) => {
    const db = new Database(join(dir, `${id}.sqlite`));
    try {
      // A write: nothing holds the file's lock any more.
      db.exec('create table probe (id int); drop table probe');
      const tables = (
        db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]
      ).map((r) => r.name);
      const history = tables.includes('knex_migrations')
        ? (db.prepare('select name from knex_migrations').all() as { name: string }[]).map((r) => r.name)
        : [];
      return { tables, history };
    } finally {
      db.close();
    }
  };
  return { report, ms, read };
}

describe('SQLite: a migration with no query in flight for longer than the statement timeout', () => {
  it('hangs after its DDL: STATEMENT_TIMEOUT in seconds, rolled back, file unlocked; another tenant succeeds', async () => {
    const { report, ms, read } = await run('hang', ['hang', 'ok'], {
      '001_nev.js': HANGS("await knex.raw('create table nev(id int)');"),
    });
    const failed = report.tenants.find((t) => t.id === 'hang')!;
    assert.equal(failed.error?.code, 'STATEMENT_TIMEOUT', JSON.stringify(failed.error));
    assert.match(
      failed.error?.message ?? '',
      /^001_nev\.js: sent no query for 1(?:\.0)?s while running .*nothing of it was applied$/,
    );
    assert.ok(ms < 10_000, `took ${ms}ms`);
    assert.equal(report.tenants.find((t) => t.id === 'ok')?.status, 'succeeded');
    const hang = read('hang');
    assert.equal(hang.tables.includes('nev'), false);
    assert.deepEqual(hang.history, []);
    assert.deepEqual(read('ok').history, ['001_nev.js']);
  });

  it('many quick statements over longer than the timeout, and pauses shorter than it: succeed', async () => {
    const { report, read } = await run('busy', ['many'], {
      '001_many.js':
        "exports.up = async (knex) => { await knex.raw('create table many(id int)'); const end = Date.now() + 2500; while (Date.now() < end) { await knex('many').insert({ id: 1 }); await new Promise((r) => setTimeout(r, 20)); } };\nexports.down = async () => {};\n",
      '002_pauses.js':
        "const pause = () => new Promise((r) => setTimeout(r, 600));\nexports.up = async (knex) => { await knex.raw('select 1'); await pause(); await knex.schema.createTable('pauses', (t) => t.increments('id')); await pause(); await knex('pauses').insert({}); await pause(); };\nexports.down = async () => {};\n",
    });
    assert.equal(report.tenants[0]?.status, 'succeeded', JSON.stringify(report.tenants[0]?.error));
    assert.deepEqual(read('many').history.sort(), ['001_many.js', '002_pauses.js']);
  });
});
