// A failing .sql migration on PostgreSQL. Its error message began with the whole file (knex puts the query
// text before the cause), so the report's table cell showed the file's first line and the cause was lost at
// the end of a long file. And one without a transaction said "what it did before the failure stays
// applied" — false: PostgreSQL runs a file sent as one query as one implicit transaction (unless the file
// has transaction statements of its own) and parses all of it before running any, so nothing stayed.
// Now the cause comes first, the failing line is named where the server says which, and the outcome is
// what PostgreSQL did.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadMigrations, migrate, type Tenant, validateInventory } from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('scriptfail');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-script-failure-'));
const databases = ['implicit', 'syntax', 'located', 'own', 'open', 'execute', 'one'].map(
  (d) => `${prefix}_${d}`,
);

before(() => createDatabases(databases));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

async function failing(db: string, file: string) {
  const dir = join(root, db);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '001_first.sql'), 'create table first_t (id int);\n');
  writeFileSync(join(dir, '002_second.sql'), file);
  const tenant = validateInventory(
    [{ id: db, dialect: 'postgres', connection: pgUrl(db) }],
    'test',
  )[0] as Tenant;
  const report = await migrate({ tenants: [tenant], migrations: await loadMigrations(dir) });
  const result = report.tenants[0]!;
  assert.equal(result.status, 'failed');
  const tables = (
    await queryDatabase<{ t: string }>(
      db,
      "select tablename as t from pg_tables where schemaname = 'public' and tablename like 't\\_%' order by 1",
    )
  ).map((r) => r.t);
  const history = (
    await queryDatabase<{ name: string }>(db, 'select name from knex_migrations order by id')
  ).map((r) => r.name);
  assert.deepEqual(history, ['001_first.sql'], 'the failed migration is not recorded');
  return { message: result.error?.message ?? '', code: result.error?.code, tables };
}

describe('PostgreSQL: a failing .sql migration says what failed and what stays', () => {
  it('without a transaction and no transaction statements: nothing stays, and it says so', async () => {
    const file =
      '-- dbfleet: transaction=false\ncreate table t_a (id int);\ninsert into t_a values (1);\nselect 1/0;\n';
    const { message, code, tables } = await failing(`${prefix}_implicit`, file);
    assert.equal(code, 'MIGRATION_FAILED');
    assert.deepEqual(tables, [], 'PostgreSQL ran the file as one implicit transaction');
    assert.equal(
      message,
      '002_second.sql: division by zero — PostgreSQL ran the script as one implicit transaction, so nothing of it was applied',
    );
  });

  it('a syntax error: none of the file ran, and the line is named', async () => {
    const file = '-- dbfleet: transaction=false\ncreate table t_b (id int);\nselec 1;\n';
    const { message, tables } = await failing(`${prefix}_syntax`, file);
    assert.deepEqual(tables, []);
    assert.match(message, /^002_second\.sql: syntax error at or near "selec" \(line 3: selec 1;\)/);
    assert.match(message, /none of it ran$/);
  });

  it('in a transaction: the cause and its line, not the file', async () => {
    const file = `create table t_c (id int);\n${'-- filler line\n'.repeat(40)}select nocol from t_c;\n`;
    const { message, tables } = await failing(`${prefix}_located`, file);
    assert.deepEqual(tables, []);
    assert.equal(
      message,
      '002_second.sql: column "nocol" does not exist (line 42: select nocol from t_c;) — rolled back: nothing of it was applied',
    );
    assert.doesNotMatch(message, /filler/);
  });

  it('with a BEGIN … COMMIT of its own before the failure: what it committed stays, and it says so', async () => {
    const file =
      '-- dbfleet: transaction=false\nbegin;\ncreate table t_d (id int);\ncommit;\ncreate table t_e (id int);\nselect 1/0;\n';
    const { message, tables } = await failing(`${prefix}_own`, file);
    assert.deepEqual(tables, ['t_d']);
    assert.match(
      message,
      /division by zero — only what a COMMIT of its own committed before the failure stays applied; the rest was rolled back$/,
    );
  });

  // A syntax error is also raised while running — an EXECUTE of a bad string — after a COMMIT of the
  // file's own: it said "none of it ran" while t_h stayed.
  it('a syntax error raised while running, after a COMMIT of its own: not "none of it ran"', async () => {
    const file =
      "-- dbfleet: transaction=false\nbegin;\ncreate table t_h (id int);\ncommit;\ndo $$ begin execute 'selec 1'; end $$;\n";
    const { message, tables } = await failing(`${prefix}_execute`, file);
    assert.deepEqual(tables, ['t_h']);
    assert.doesNotMatch(message, /none of it ran/);
    assert.match(message, /only what a COMMIT of its own committed before the failure stays applied/);
  });

  // One statement runs whole or not at all: "what it did before the failure stays applied" was false.
  it('one INSERT, without a transaction: nothing of it was applied, and it says so', async () => {
    const file = '-- dbfleet: transaction=false\ninsert into first_t select 1 / 0;\n';
    const { message } = await failing(`${prefix}_one`, file);
    assert.equal(
      message,
      '002_second.sql: division by zero — PostgreSQL ran its one statement as a transaction of its own, so nothing of it was applied',
    );
  });

  it('failing inside a BEGIN of its own: that transaction is rolled back and nothing stays', async () => {
    const file =
      '-- dbfleet: transaction=false\ncreate table t_f (id int);\nbegin;\ncreate table t_g (id int);\nselect 1/0;\ncommit;\n';
    const { message, tables } = await failing(`${prefix}_open`, file);
    assert.deepEqual(tables, []);
    assert.doesNotMatch(message, /what it did before the failure stays applied/);
    assert.doesNotMatch(message, /create table/);
  });
});
