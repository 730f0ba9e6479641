// Every PostgreSQL lint rule on SQL parsed by PostgreSQL's own parser: a statement that fires it and a
// safe twin that does not. No database: the linter reads SQL only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StillNew } from '../../src/dialect/lint-types.js';
import { createPostgresLinter } from '../../src/dialect/postgres/lint.js';

/** What the earlier, applied migrations made: the tables the statements under test change. */
const BASE = `create table t (id int primary key, name varchar(50), email text, n numeric(10,2), owner_id int);
create table u (id int primary key);`;

const sameMigrationOnly: StillNew = (createdIn, current) => createdIn === current;

async function lintOf(sql: string, options: { transactional?: boolean; before?: string[] } = {}) {
  const linter = await createPostgresLinter(sameMigrationOnly);
  linter.lintMigration({ name: 'base', transactional: true, statements: [BASE] });
  for (const [i, s] of (options.before ?? []).entries())
    linter.lintMigration({ name: `before-${i}`, transactional: true, statements: [s] });
  return linter.lintMigration({ name: 'm', transactional: options.transactional ?? true, statements: [sql] });
}

async function rulesOf(sql: string, options: { transactional?: boolean; before?: string[] } = {}) {
  return (await lintOf(sql, options)).map((h) => h.rule);
}

describe('index-not-concurrent', () => {
  it('fires on CREATE INDEX, a UNIQUE constraint and a UNIQUE column added to an existing table', async () => {
    assert.deepEqual(await rulesOf('create index i on t (name)'), ['index-not-concurrent']);
    assert.deepEqual(await rulesOf('create unique index i on t (email)'), ['index-not-concurrent']);
    assert.deepEqual(await rulesOf('alter table t add constraint t_email unique (email)'), [
      'index-not-concurrent',
    ]);
    assert.deepEqual(await rulesOf('alter table t add column code text unique'), ['index-not-concurrent']);
  });

  it('safe: CONCURRENTLY outside a transaction, a table created in the same migration, USING INDEX', async () => {
    assert.deepEqual(await rulesOf('create index concurrently i on t (name)', { transactional: false }), []);
    assert.deepEqual(
      await rulesOf('create table x (a int); create index on x (a); alter table x add unique (a)'),
      [],
    );
    assert.deepEqual(
      await rulesOf('alter table t add constraint t_email unique using index t_email_idx'),
      [],
    );
  });

  it('a table created by an earlier migration counts as new only when that migration runs with this one', async () => {
    const lint = async (stillNew: StillNew) => {
      const linter = await createPostgresLinter(stillNew);
      linter.lintMigration({ name: 'a', transactional: true, statements: ['create table fresh (a int)'] });
      return linter.lintMigration({
        name: 'b',
        transactional: true,
        statements: ['create index on fresh (a)'],
      });
    };
    assert.deepEqual(await lint(() => true), []);
    assert.deepEqual(
      (await lint(sameMigrationOnly)).map((h) => h.rule),
      ['index-not-concurrent'],
    );
  });
});

describe('concurrently-in-transaction', () => {
  it('fires on CREATE / DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY in a transactional migration', async () => {
    assert.deepEqual(await rulesOf('create index concurrently i on t (name)'), [
      'concurrently-in-transaction',
    ]);
    assert.deepEqual(await rulesOf('drop index concurrently i'), ['concurrently-in-transaction']);
    assert.deepEqual(await rulesOf('reindex index concurrently i'), ['concurrently-in-transaction']);
  });

  it('safe: the same statements in a migration without a transaction', async () => {
    for (const sql of [
      'create index concurrently i on t (name)',
      'drop index concurrently i',
      'reindex index concurrently i',
    ])
      assert.deepEqual(await rulesOf(sql, { transactional: false }), [], sql);
  });
});

// A .sql migration written with its own BEGIN … COMMIT (as many are, for tools that do not wrap a file in
// a transaction) passed lint, and ran: its COMMIT ended the transaction dbfleet runs it in, so the history
// record and anything after ran outside one — a failure there left the tenant half-migrated, unrecorded.
describe('commit-in-transaction', () => {
  it('fires on COMMIT, END, ROLLBACK, ABORT, PREPARE TRANSACTION in a transactional migration', async () => {
    assert.deepEqual(await rulesOf('begin; create table x (id int); commit;'), ['commit-in-transaction']);
    for (const sql of ['end', 'rollback', 'abort', 'commit and chain', "prepare transaction 'p'"])
      assert.deepEqual(await rulesOf(`create table x (id int); ${sql}`), ['commit-in-transaction'], sql);
  });

  it('safe: the same without the COMMIT; savepoints; its own block in a migration without a transaction', async () => {
    assert.deepEqual(await rulesOf('begin; create table x (id int);'), []);
    assert.deepEqual(
      await rulesOf('savepoint s; create table x (id int); rollback to savepoint s; release savepoint s'),
      [],
    );
    assert.deepEqual(await rulesOf('begin; create table x (id int); commit;', { transactional: false }), []);
  });
});

describe('begin-without-commit', () => {
  it('fires on a BEGIN never committed in a migration without a transaction', async () => {
    const hits = await lintOf('begin; create table x (id int);', { transactional: false });
    assert.deepEqual(
      hits.map((h) => [h.rule, h.statement]),
      [['begin-without-commit', 'begin']],
    );
  });

  it('safe: committed, rolled back, or no BEGIN of its own', async () => {
    for (const sql of ['begin; create table x (id int); commit;', 'begin; select 1; rollback;', 'select 1'])
      assert.deepEqual(await rulesOf(sql, { transactional: false }), [], sql);
  });
});

// Plain VACUUM and the other statements PostgreSQL refuses in a transaction block were quiet: the
// migration then failed on every tenant at run time, after the first wave had started.
describe('no-transaction-block', () => {
  const REFUSED = [
    'vacuum t',
    'vacuum (analyze) t',
    'vacuum',
    'create database other',
    'drop database other',
    "alter system set work_mem = '64MB'",
    'reindex database app',
    'reindex system app',
    "create tablespace fast location '/srv/fast'",
    'drop tablespace fast',
  ];
  it('fires on each of them in a transactional migration', async () => {
    for (const sql of REFUSED) assert.deepEqual(await rulesOf(sql), ['no-transaction-block'], sql);
  });

  it('fires on one sent with other statements in one query string', async () => {
    const hits = await lintOf('vacuum t; select 1', { transactional: false });
    assert.deepEqual(
      hits.map((h) => h.rule),
      ['no-transaction-block'],
    );
    assert.match(hits[0]!.detail ?? '', /2 statements sent as one query string/);
  });

  it('safe: alone in a migration without a transaction; ANALYZE and REINDEX of a table anywhere', async () => {
    for (const sql of REFUSED) assert.deepEqual(await rulesOf(sql, { transactional: false }), [], sql);
    assert.deepEqual(await rulesOf('analyze t'), []);
    assert.deepEqual(await rulesOf('reindex table t'), []);
  });
});

// A DO block runs its statements during the migration, but the linter saw one opaque DoStmt: an index
// build on a busy table wrapped in IF NOT EXISTS (a common idempotent pattern) was lint-clean.
describe('statements inside a DO block', () => {
  it('are linted as if written out, and say where they were', async () => {
    const hits = await lintOf(
      "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'i') THEN CREATE INDEX i ON t (name); END IF; END $$",
    );
    assert.deepEqual(
      hits.map((h) => [h.rule, h.statement, h.detail]),
      [['index-not-concurrent', 'CREATE INDEX i ON t (name)', 'inside a DO block']],
    );
    assert.deepEqual(await rulesOf("DO $$ BEGIN EXECUTE 'alter table t add column c int not null'; END $$"), [
      'add-column-not-null',
    ]);
    assert.deepEqual(await rulesOf("DO $$ BEGIN PERFORM set_config('lock_timeout', '0', false); END $$"), [
      'lock-timeout-disabled',
    ]);
    // One statement, one transaction: CONCURRENTLY fails in it even in a migration without one.
    assert.deepEqual(
      await rulesOf('DO $$ BEGIN CREATE INDEX CONCURRENTLY i ON t (name); END $$', { transactional: false }),
      ['concurrently-in-transaction'],
    );
  });

  it('safe: a table the block creates, statements built at run time, another language', async () => {
    assert.deepEqual(await rulesOf('DO $$ BEGIN CREATE TABLE x (a int); CREATE INDEX ON x (a); END $$'), []);
    assert.deepEqual(
      await rulesOf("DO $$ BEGIN EXECUTE format('create index on %I (name)', 't'); END $$"),
      [],
    );
    assert.deepEqual(
      await rulesOf('DO LANGUAGE plpython3u $$ plpy.execute("create index i on t (name)") $$'),
      [],
    );
  });
});

describe('add-column-not-null', () => {
  it('fires on NOT NULL without a default', async () => {
    const hits = await lintOf('alter table t add column score int not null');
    assert.deepEqual(
      hits.map((h) => h.rule),
      ['add-column-not-null'],
    );
    assert.equal(hits[0]!.detail, 'column score');
  });

  // knex's `.notNullable().defaultTo(null)`: the rows would still hold NULL (the review found it quiet).
  it('fires on NOT NULL with DEFAULT NULL, also cast', async () => {
    for (const sql of [
      'alter table t add column score int not null default null',
      'alter table t add column score int not null default null::int',
    ])
      assert.deepEqual(await rulesOf(sql), ['add-column-not-null'], sql);
  });

  it('safe: with a constant default, nullable, or on a new table', async () => {
    assert.deepEqual(await rulesOf('alter table t add column score int not null default 0'), []);
    assert.deepEqual(await rulesOf('alter table t add column score int'), []);
    assert.deepEqual(await rulesOf('create table x (a int); alter table x add column b int not null'), []);
  });
});

describe('add-column-volatile-default', () => {
  it('fires on a volatile default, serial, identity and a stored generated column', async () => {
    for (const column of [
      'token uuid default gen_random_uuid()',
      'r float default random()',
      'at timestamptz default clock_timestamp()',
      'seq serial',
      'seq bigint generated always as identity',
      'twice int generated always as (id * 2) stored',
    ])
      assert.deepEqual(
        await rulesOf(`alter table t add column ${column}`),
        ['add-column-volatile-default'],
        column,
      );
  });

  it('names what it cannot tell: a function it does not know may be volatile', async () => {
    const [hit] = await lintOf('alter table t add column x int default my_function()');
    assert.equal(hit?.rule, 'add-column-volatile-default');
    assert.match(hit?.detail ?? '', /cannot tell whether my_function\(\) is volatile/);
  });

  it('safe: now() (stable), CURRENT_TIMESTAMP, constants and casts of constants', async () => {
    for (const column of [
      'seen timestamptz default now()',
      'seen timestamptz default current_timestamp',
      "meta jsonb not null default '{}'::jsonb",
      "status text not null default 'open'",
      // A common epoch default: extract() and date_part() are not volatile (the review found it flagged).
      'created bigint default extract(epoch from now())::bigint',
      "created_s bigint default floor(date_part('epoch', now()))::bigint",
    ])
      assert.deepEqual(await rulesOf(`alter table t add column ${column}`), [], column);
  });
});

describe('alter-column-type', () => {
  it('fires on a change that rewrites: int → bigint, a shrink, an expression in USING', async () => {
    const hits = await lintOf('alter table t alter column id type bigint');
    assert.deepEqual(
      hits.map((h) => h.rule),
      ['alter-column-type'],
    );
    assert.equal(hits[0]!.detail, 'column id: int4 → int8 rewrites the table');
    assert.deepEqual(await rulesOf('alter table t alter column name type varchar(20)'), [
      'alter-column-type',
    ]);
    assert.deepEqual(await rulesOf('alter table t alter column email type text using lower(email)'), [
      'alter-column-type',
    ]);
  });

  it('fires, saying so, when the current type is not in the linted migrations', async () => {
    const [hit] = await lintOf('alter table elsewhere alter column c type text');
    assert.equal(hit?.rule, 'alter-column-type');
    assert.match(hit?.detail ?? '', /current type is not in the linted migrations/);
  });

  it('safe: the binary-coercible widenings, also with the USING cast knex writes', async () => {
    for (const sql of [
      'alter table t alter column name type varchar(100)',
      'alter table t alter column name type text',
      'alter table t alter column email type varchar',
      'alter table t alter column n type numeric(12,2)',
      'alter table t alter column name type varchar(255) using ("name"::varchar(255))',
    ])
      assert.deepEqual(await rulesOf(sql), [], sql);
  });
});

describe('constraint-missing-not-valid', () => {
  it('fires on a FOREIGN KEY or CHECK that validates every row', async () => {
    assert.deepEqual(
      await rulesOf('alter table t add constraint fk foreign key (owner_id) references u (id)'),
      ['constraint-missing-not-valid'],
    );
    assert.deepEqual(await rulesOf('alter table t add constraint c check (id > 0)'), [
      'constraint-missing-not-valid',
    ]);
  });

  it('safe: NOT VALID, then VALIDATE CONSTRAINT; or a new table', async () => {
    assert.deepEqual(
      await rulesOf('alter table t add constraint fk foreign key (owner_id) references u (id) not valid'),
      [],
    );
    assert.deepEqual(await rulesOf('alter table t validate constraint fk'), []);
    assert.deepEqual(
      await rulesOf('create table x (a int); alter table x add constraint c check (a > 0)'),
      [],
    );
  });
});

describe('set-not-null', () => {
  it('fires without a validated CHECK (col IS NOT NULL) before it', async () => {
    assert.deepEqual(await rulesOf('alter table t alter column email set not null'), ['set-not-null']);
    const notValidated = ['alter table t add constraint nn check (email is not null) not valid'];
    assert.deepEqual(
      await rulesOf('alter table t alter column email set not null', { before: notValidated }),
      ['set-not-null'],
    );
  });

  it('safe: after CHECK … NOT VALID and VALIDATE CONSTRAINT in earlier migrations', async () => {
    const before = [
      'alter table t add constraint nn check (email is not null) not valid',
      'alter table t validate constraint nn',
    ];
    assert.deepEqual(await rulesOf('alter table t alter column email set not null', { before }), []);
  });
});

describe('drop-or-rename', () => {
  it('fires on DROP TABLE, DROP COLUMN, RENAME COLUMN and RENAME TABLE', async () => {
    for (const sql of [
      'drop table u',
      'alter table t drop column email',
      'alter table t rename column email to mail',
      'alter table t rename to accounts',
    ])
      assert.deepEqual(await rulesOf(sql), ['drop-or-rename'], sql);
  });

  it('safe: dropping a table the same migration created (no app uses it yet)', async () => {
    assert.deepEqual(await rulesOf('create table scratch (a int); drop table scratch'), []);
  });
});

describe('lock-timeout-disabled', () => {
  it('fires on every way of setting lock_timeout to 0', async () => {
    for (const sql of [
      'set lock_timeout = 0',
      "set local lock_timeout to '0'",
      "set session lock_timeout = '0ms'",
      "select set_config('lock_timeout', '0', true)",
    ])
      assert.deepEqual(await rulesOf(sql), ['lock-timeout-disabled'], sql);
  });

  it('safe: a lock timeout that is not 0, RESET (back to what dbfleet set), other settings at 0', async () => {
    for (const sql of ["set lock_timeout = '5s'", 'reset lock_timeout', 'set statement_timeout = 0'])
      assert.deepEqual(await rulesOf(sql), [], sql);
  });
});

describe('parse-error', () => {
  it("fires on SQL PostgreSQL's parser rejects, with the parser's message", async () => {
    const [hit] = await lintOf('alter tabel t add column x int');
    assert.equal(hit?.rule, 'parse-error');
    assert.match(hit?.detail ?? '', /syntax error/);
  });

  it('safe: PostgreSQL 15+ syntax parses (MERGE, NULLS NOT DISTINCT)', async () => {
    assert.deepEqual(await rulesOf('create table x (a int unique nulls not distinct)'), []);
    assert.deepEqual(
      await rulesOf('merge into u using t on u.id = t.id when not matched then insert values (t.id)'),
      [],
    );
  });
});

describe('the statement a finding names', () => {
  it('is the statement itself, cut at UTF-8 byte offsets, without the comments before it', async () => {
    const hits = await lintOf("select 'ünïcödé';\n-- why\ncreate index i on t (name);");
    assert.deepEqual(hits, [{ rule: 'index-not-concurrent', statement: 'create index i on t (name)' }]);
  });
});

// The review found these lint-clean: each holds a lock that blocks the app for as long as it works through
// the table (a rewrite, or a wait for every open transaction with everyone queued behind it).
describe('exclusive-lock-statement', () => {
  it('fires on VACUUM FULL, CLUSTER, a plain REFRESH, LOCK TABLE, TRUNCATE and the rewriting SETs', async () => {
    const base = ['create materialized view mv as select id from t'];
    // Outside a transaction: VACUUM in one is also no-transaction-block's.
    for (const sql of [
      'vacuum full t',
      'vacuum (full, analyze) t',
      'vacuum full',
      'cluster t using t_pkey',
      'refresh materialized view mv',
      'lock table t in access exclusive mode',
      'lock t',
      'lock table t in share mode',
      'truncate t',
      'alter table t set tablespace pg_default',
      'alter table t set unlogged',
      'alter table t set logged',
    ])
      assert.deepEqual(
        await rulesOf(sql, { before: base, transactional: false }),
        ['exclusive-lock-statement'],
        sql,
      );
    const [hit] = await lintOf('truncate t, u');
    assert.equal(hit?.detail, 'TRUNCATE t takes ACCESS EXCLUSIVE');
  });

  it('safe: CONCURRENTLY, plain VACUUM or ANALYZE, weak lock modes, a table of this migration', async () => {
    for (const sql of [
      'refresh materialized view concurrently mv',
      'analyze t',
      'lock table t in row exclusive mode',
      'lock table t in share update exclusive mode',
      'create table x (a int); truncate x; lock table x; alter table x set unlogged',
    ])
      assert.deepEqual(
        await rulesOf(sql, { before: ['create materialized view mv as select id from t'] }),
        [],
        sql,
      );
    assert.deepEqual(await rulesOf('vacuum (analyze) t', { transactional: false }), []);
    // A table of this migration: no lock finding, but a VACUUM in a transaction still fails.
    assert.deepEqual(await rulesOf('create table x (a int); vacuum full x'), ['no-transaction-block']);
  });
});
