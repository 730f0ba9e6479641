// A migration with a COMMIT of its own — a .sql file written with BEGIN … COMMIT, a knex.raw('commit') —
// ends the transaction dbfleet runs it in. When it then failed, dbfleet said "rolled back: nothing of it
// was applied" while what it ran before its COMMIT stayed committed: the operator was told the tenant was
// untouched, and the next run failed on the table that was there. Now it fails TRANSACTION_ENDED and says
// what stays. One that succeeds is recorded, as knex records it; lint flags both (commit-in-transaction).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadMigrations, migrate, type Tenant, validateInventory } from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('owncommit');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-own-commit-'));
const tenantOf = (db: string): Tenant =>
  validateInventory([{ id: db, dialect: 'postgres', connection: pgUrl(db) }], 'test')[0] as Tenant;
const history = async (db: string) =>
  (await queryDatabase<{ name: string }>(db, 'select name from knex_migrations order by id')).map(
    (r) => r.name,
  );
const exists = async (db: string, table: string) =>
  (await queryDatabase<{ t: string | null }>(db, `select to_regclass('${table}') as t`))[0]?.t !== null;

function folder(label: string, files: Record<string, string>): string {
  const dir = join(root, label);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

before(() => createDatabases([`${prefix}_sql`, `${prefix}_module`, `${prefix}_open`]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

describe('a migration that ends its own transaction', () => {
  it('.sql with BEGIN … COMMIT: applied and recorded; one that fails after its COMMIT says what stays', async () => {
    const db = `${prefix}_sql`;
    const dir = folder('sql', {
      '001_x.sql': 'BEGIN;\ncreate table x (id int);\nCOMMIT;\n',
      '002_z.sql': 'BEGIN;\ncreate table z (id int);\nCOMMIT;\nselect 1/0;\n',
    });
    const report = await migrate({ tenants: [tenantOf(db)], migrations: await loadMigrations(dir) });
    const result = report.tenants[0]!;
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'TRANSACTION_ENDED', JSON.stringify(result.error));
    assert.match(result.error?.message ?? '', /^002_z\.sql: ended its own transaction .*division by zero/s);
    assert.match(result.error?.message ?? '', /stays committed, and it is not recorded as applied/);
    assert.doesNotMatch(result.error?.message ?? '', /nothing of it was applied/);
    assert.deepEqual((result.details as { applied: string[] }).applied, ['001_x.sql']);
    assert.deepEqual(await history(db), ['001_x.sql']);
    assert.equal(await exists(db, 'x'), true);
    assert.equal(await exists(db, 'z'), true, 'what it committed itself stays, as under knex');
  });

  it("a module's knex.raw('commit'), then a throw", async () => {
    const db = `${prefix}_module`;
    const dir = folder('module', {
      '001_w.js':
        "exports.up = async (knex) => { await knex.schema.createTable('w', (t) => t.increments('id')); await knex.raw('commit'); throw new Error('boom after commit'); };\nexports.down = async () => {};\n",
    });
    const report = await migrate({ tenants: [tenantOf(db)], migrations: await loadMigrations(dir) });
    const result = report.tenants[0]!;
    assert.equal(result.error?.code, 'TRANSACTION_ENDED', JSON.stringify(result.error));
    assert.match(result.error?.message ?? '', /boom after commit/);
    assert.doesNotMatch(result.error?.message ?? '', /nothing of it was applied/);
    assert.equal(await exists(db, 'w'), true);
  });

  it('a migration without a transaction that leaves its own BEGIN open fails, rolled back, before the next', async () => {
    // Left open, the history row, the next migration and every later step ran inside that transaction,
    // reported applied — and all of it was lost when the session ended without a COMMIT.
    const db = `${prefix}_open`;
    const dir = folder('open', {
      '001_r.sql': '-- dbfleet: transaction=false\nBEGIN;\ncreate table r (id int);\n',
      '002_s.sql': 'create table s (id int);\n',
    });
    const report = await migrate({ tenants: [tenantOf(db)], migrations: await loadMigrations(dir) });
    const result = report.tenants[0]!;
    assert.equal(result.error?.code, 'TRANSACTION_LEFT_OPEN', JSON.stringify(result.error));
    assert.match(result.error?.message ?? '', /^001_r\.sql: left a transaction open/);
    assert.deepEqual((result.details as { applied: string[] }).applied, []);
    assert.deepEqual(await history(db), []);
    assert.equal(await exists(db, 'r'), false);
    assert.equal(await exists(db, 's'), false);
  });

  it("a module's knex.raw('commit') that then succeeds: applied and recorded, as under knex", async () => {
    const db = `${prefix}_module`;
    const dir = folder('module-ok', {
      '001_u.js':
        "exports.up = async (knex) => { await knex.schema.createTable('u', (t) => t.increments('id')); await knex.raw('commit'); };\nexports.down = async () => {};\n",
    });
    const report = await migrate({ tenants: [tenantOf(db)], migrations: await loadMigrations(dir) });
    assert.equal(report.tenants[0]!.status, 'succeeded', JSON.stringify(report.tenants[0]!.error));
    assert.deepEqual(await history(db), ['001_u.js']);
    assert.equal(await exists(db, 'u'), true);
    await queryDatabase(db, 'drop table u; delete from knex_migrations');
  });

  it('a migration that fails inside its transaction is still rolled back and says so', async () => {
    const db = `${prefix}_module`;
    const dir = folder('plain', {
      '001_v.sql': 'create table v (id int);\nselect 1/0;\n',
    });
    const report = await migrate({ tenants: [tenantOf(db)], migrations: await loadMigrations(dir) });
    const result = report.tenants[0]!;
    assert.equal(result.error?.code, 'MIGRATION_FAILED', JSON.stringify(result.error));
    assert.match(result.error?.message ?? '', /rolled back: nothing of it was applied/);
    assert.equal(await exists(db, 'v'), false);
  });
});
