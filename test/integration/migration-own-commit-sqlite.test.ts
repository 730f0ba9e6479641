// SQLite: a migration with a COMMIT statement of its own (a .sql file ending in COMMIT, a module's
// knex.raw('commit')) ended the transaction dbfleet runs it in. Its history row was then written outside
// any transaction and dbfleet's own COMMIT failed ("no transaction is active"): the tenant held the
// migration, recorded as applied, while dbfleet reported it failed, "rolled back: nothing of it was
// applied". Now the history row gets a transaction again and the migration is applied and recorded, as
// under knex on PostgreSQL; one that fails after its COMMIT fails TRANSACTION_ENDED, saying what stays.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadMigrations, migrate, type Tenant, validateInventory } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-own-commit-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function migrated(label: string, files: Record<string, string>) {
  const dir = join(root, label);
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'migrations', name), text);
  const file = join(dir, 'tenant.sqlite');
  new Database(file).close();
  const tenant = validateInventory([{ id: label, dialect: 'sqlite', connection: file }], 'test')[0] as Tenant;
  const report = await migrate({
    tenants: [tenant],
    migrations: await loadMigrations(join(dir, 'migrations')),
  });
  const db = new Database(file, { readonly: true });
  try {
    const tables = (
      db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]
    ).map((r) => r.name);
    const history = tables.includes('knex_migrations')
      ? (db.prepare('select name from knex_migrations order by id').all() as { name: string }[]).map(
          (r) => r.name,
        )
      : [];
    return { result: report.tenants[0]!, tables, history };
  } finally {
    db.close();
  }
}

describe('SQLite: a migration with a COMMIT of its own', () => {
  it('.sql ending in COMMIT: applied, recorded, reported succeeded', async () => {
    const { result, tables, history } = await migrated('sql', {
      '001_q.sql': 'create table q (id int);\nCOMMIT;\n',
      '002_r.sql': 'create table r (id int);\n',
    });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(history, ['001_q.sql', '002_r.sql']);
    assert.ok(tables.includes('q') && tables.includes('r'));
  });

  it("a module's knex.raw('commit') inside its knex transaction", async () => {
    const { result, history } = await migrated('module', {
      '001_w.js':
        "exports.up = async (knex) => { await knex.schema.createTable('w', (t) => t.increments('id')); await knex.raw('commit'); };\nexports.down = async () => {};\n",
    });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(history, ['001_w.js']);
  });

  it('one that fails after its COMMIT: TRANSACTION_ENDED, what it committed stays, not recorded', async () => {
    const { result, tables, history } = await migrated('fails', {
      '001_z.sql': 'create table z (id int);\nCOMMIT;\nselect * from no_such_table;\n',
    });
    assert.equal(result.error?.code, 'TRANSACTION_ENDED', JSON.stringify(result.error));
    assert.match(result.error?.message ?? '', /no such table: no_such_table/);
    assert.doesNotMatch(result.error?.message ?? '', /nothing of it was applied/);
    assert.ok(tables.includes('z'));
    assert.deepEqual(history, []);
  });

  it('without a transaction, failing inside a BEGIN of its own: that transaction is rolled back, and it says so', async () => {
    // It said "what it did before the failure stays applied", while what ran after its BEGIN was undone.
    const { result, tables, history } = await migrated('open-begin', {
      '001_b.sql':
        '-- dbfleet: transaction=false\ncreate table b0 (id int);\nbegin;\ncreate table b1 (id int);\ninsert into nosuch values (1);\ncommit;\n',
    });
    assert.equal(result.error?.code, 'MIGRATION_FAILED', JSON.stringify(result.error));
    assert.match(
      result.error?.message ?? '',
      /no such table: nosuch — it runs without a transaction: what ran in its own transaction \(since its BEGIN\) was rolled back, what ran before that stays applied$/,
    );
    assert.ok(tables.includes('b0'), 'statements before its BEGIN committed one by one');
    assert.ok(!tables.includes('b1'));
    assert.deepEqual(history, []);
  });
});
