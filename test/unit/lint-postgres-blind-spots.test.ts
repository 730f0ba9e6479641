// Statements the PostgreSQL lint let through although they lock a busy table or fail on every tenant,
// each checked against a real server while writing these tests. No database here: the linter reads SQL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPostgresLinter } from '../../src/dialect/postgres/lint.js';

/** What earlier, applied migrations made. */
const BASE =
  'create table t (id int primary key, name varchar(50), tags text, owner_id int); create table u (id int primary key);';

async function rulesOf(sql: string | string[], options: { transactional?: boolean } = {}) {
  const linter = await createPostgresLinter((createdIn, current) => createdIn === current);
  linter.lintMigration({ name: 'base', transactional: true, statements: [BASE] });
  const statements = Array.isArray(sql) ? sql : [sql];
  const hits = linter.lintMigration({ name: 'm', transactional: options.transactional ?? true, statements });
  return hits.map((h) => (h.detail ? `${h.rule}: ${h.detail}` : h.rule));
}

describe('CONCURRENTLY in a query string of several statements', () => {
  it('fires in a migration without a transaction: PostgreSQL runs the string as one transaction block', async () => {
    // A .sql migration is sent as one string; so is a knex.raw of several statements.
    const [hit, ...rest] = await rulesOf(
      "-- dbfleet: transaction=false\nset lock_timeout = '10s';\ncreate index concurrently i on t (name);",
      { transactional: false },
    );
    assert.match(hit ?? '', /^concurrently-in-transaction: .*2 statements/);
    assert.deepEqual(rest, []);
  });

  it('safe: each concurrent statement sent alone (its own knex.raw), or the only statement of the file', async () => {
    const alone = ["set lock_timeout = '10s'", 'create index concurrently i on t (name)'];
    assert.deepEqual(await rulesOf(alone, { transactional: false }), []);
    const file = '-- dbfleet: transaction=false\n-- a comment\ncreate index concurrently i on t (name);\n';
    assert.deepEqual(await rulesOf(file, { transactional: false }), []);
  });
});

describe('CREATE TABLE IF NOT EXISTS of a table an earlier migration made', () => {
  it('does not make the existing table new: an index on it is still built under lock', async () => {
    // knex's createTableIfNotExists writes exactly this pair.
    assert.deepEqual(
      await rulesOf(
        'create table if not exists "t" ("id" serial primary key); create index "t_name_index" on "t" ("name")',
      ),
      ['index-not-concurrent'],
    );
  });

  it('safe: IF NOT EXISTS of a table no linted migration made', async () => {
    assert.deepEqual(
      await rulesOf('create table if not exists fresh (a int); create index on fresh (a)'),
      [],
    );
  });
});

describe('alter-column-type to or from an array', () => {
  it('fires on text → text[] with the plain cast knex writes: every value is converted', async () => {
    assert.deepEqual(
      await rulesOf('alter table "t" alter column "tags" type text[] using ("tags"::text[])'),
      ['alter-column-type: column tags: text → text[] rewrites the table'],
    );
  });
});

describe('ADD COLUMN with an inline CHECK, or a FOREIGN KEY and a default', () => {
  it('fires: every existing row is checked under the ACCESS EXCLUSIVE lock (knex enu(), checkPositive())', async () => {
    assert.deepEqual(
      await rulesOf(
        `alter table "t" add column "kind" text check ("kind" in ('a', 'b')) not null default 'a'`,
      ),
      ['constraint-missing-not-valid: column kind: its CHECK is checked against every existing row'],
    );
    assert.deepEqual(await rulesOf('alter table t add column owner2 int default 1 references u (id)'), [
      'constraint-missing-not-valid: column owner2: its FOREIGN KEY is checked against every existing row',
    ]);
  });

  it('safe: a FOREIGN KEY on a new column without a default (all NULL: the server checks nothing)', async () => {
    assert.deepEqual(await rulesOf('alter table t add column owner2 int references u (id)'), []);
  });
});

describe("a transaction block the migration opens itself (knex.raw('begin') in a migration without one)", () => {
  it('fires on CONCURRENTLY and VACUUM between BEGIN / START TRANSACTION and COMMIT / END / ROLLBACK', async () => {
    const index = 'create index concurrently i on t (name)';
    assert.deepEqual(await rulesOf(['begin', index, 'commit'], { transactional: false }), [
      'concurrently-in-transaction',
    ]);
    assert.deepEqual(
      await rulesOf(['start transaction isolation level serializable', 'savepoint s', 'vacuum t', 'end'], {
        transactional: false,
      }),
      ['no-transaction-block: VACUUM'],
    );
    // COMMIT AND CHAIN opens the next block at once (left open at the end: begin-without-commit too).
    assert.deepEqual(await rulesOf(['begin', 'commit and chain', index], { transactional: false }), [
      'concurrently-in-transaction',
      'begin-without-commit',
    ]);
  });

  it('safe: the same statements after the block is over (COMMIT, ROLLBACK, ABORT)', async () => {
    for (const end of ['commit', 'rollback', 'abort'])
      assert.deepEqual(
        await rulesOf(['begin', 'select 1', end, 'create index concurrently i on t (name)', 'vacuum t'], {
          transactional: false,
        }),
        [],
        end,
      );
  });

  it("a transactional migration's own COMMIT is a finding of its own; what follows is linted as before", async () => {
    assert.deepEqual(await rulesOf(['commit', 'vacuum t']), [
      'commit-in-transaction',
      'no-transaction-block: VACUUM',
    ]);
  });
});
