// A knexfile's `client: 'sqlite3'` is what knex hands a migration as `knex.client.config.client`, and
// migrations written for several databases branch on it (`if (client === 'sqlite3') …`). dbfleet drives
// SQLite with knex's better-sqlite3 client, and a migration read 'better-sqlite3' there: such a migration
// took another database's branch on a SQLite tenant. Pins what sayClientAsWritten relies on in knex 3.3.0:
// the name holds on the knex a `transaction: false` migration gets, on the migration's transaction, and
// on a nested transaction; knex still runs the statements with better-sqlite3.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { migrate, plan, validateInventory } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-client-name-'));
after(() => rmSync(root, { recursive: true, force: true }));

const migrations = join(root, 'migrations');
mkdirSync(migrations);
// What knex's own migrator would record on a sqlite3 knexfile: the name, three ways.
writeFileSync(
  join(migrations, '001_branch.js'),
  `exports.up = async (knex) => {
  await knex.schema.createTable('seen', (t) => { t.string('where'); t.string('client'); t.string('dialect'); });
  const sqlite = knex.client.config.client === 'sqlite3' || knex.client.config.client === 'sqlite';
  // The branch a multi-database migration takes: autoincrement syntax of the one it believes it is on
  // (SQLite takes \`serial\` as a type name too: the other branch made a table without the rowid key).
  await knex.raw(sqlite ? 'create table branch (id integer primary key autoincrement)' : 'create table branch (id serial primary key)');
  await knex('seen').insert({ where: 'trx', client: knex.client.config.client, dialect: knex.client.dialect });
  await knex.transaction(async (nested) => {
    await nested('seen').insert({ where: 'nested', client: nested.client.config.client, dialect: nested.client.dialect });
  });
};
exports.down = async () => {};
`,
);
writeFileSync(
  join(migrations, '002_outside.js'),
  `exports.config = { transaction: false };
exports.up = async (knex) => {
  await knex('seen').insert({ where: 'no-transaction', client: knex.client.config.client, dialect: knex.client.dialect });
};
exports.down = async () => {};
`,
);

async function seen(client: string): Promise<string[][]> {
  const file = join(root, `${client}.sqlite`);
  new Database(file).close();
  const tenants = validateInventory([{ id: client, dialect: 'sqlite', connection: file }], 'test');
  const report = await migrate({ tenants, migrations, knex: { client, useNullAsDefault: true } } as never);
  assert.equal(report.tenants[0]?.status, 'succeeded', JSON.stringify(report.tenants[0]?.error));
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('select "where", client, dialect from seen').all() as Record<string, string>[]).map(
      (r) => [r.where!, r.client!, r.dialect!],
    );
  } finally {
    db.close();
  }
}

describe("a knexfile's SQLite client name, as a migration reads it", () => {
  // plan --sql derives the SQL by running the migration against a recording knex: the same branch.
  it("plan --sql follows the branch a 'sqlite3' migration takes", async () => {
    const file = join(root, 'plan.sqlite');
    new Database(file).close();
    const tenants = validateInventory([{ id: 'plan', dialect: 'sqlite', connection: file }], 'test');
    const report = await plan({
      tenants,
      migrations,
      sql: true,
      knex: { client: 'sqlite3', useNullAsDefault: true },
    } as never);
    const sql = (report.tenants[0]!.details as { sql: Record<string, string[]> }).sql;
    const derived = sql['001_branch.js']!.join('\n');
    assert.match(derived, /autoincrement/);
    // Inside the migration's own transaction too: the derivation records it, under the written name.
    assert.match(derived, /insert into `seen` .* values \('sqlite3', 'sqlite3', 'nested'\)/, derived);
    assert.doesNotMatch(derived, /could not derive/, derived);
  });

  for (const client of ['sqlite3', 'sqlite', 'better-sqlite3']) {
    it(`client: '${client}'`, async () => {
      assert.deepEqual(await seen(client), [
        ['trx', client, 'sqlite3'],
        ['nested', client, 'sqlite3'],
        ['no-transaction', client, 'sqlite3'],
      ]);
    });
  }
});
