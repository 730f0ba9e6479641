// The T-SQL lint rules, read token by token on the lexed script: each fires, and a safe twin does not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMssqlLinter } from '../../src/dialect/mssql/lint.js';

function rulesOf(script: string, before = 'CREATE TABLE dbo.Orders (id int, name nvarchar(50))') {
  const linter = createMssqlLinter((createdIn, current) => createdIn === current);
  linter.lintMigration({ name: 'base', transactional: true, statements: [before] });
  return linter.lintMigration({ name: 'm', transactional: true, statements: [script] });
}

describe('mssql-index-offline', () => {
  it('fires on CREATE INDEX and ALTER INDEX … REBUILD without ONLINE = ON on an existing table', () => {
    for (const sql of [
      'CREATE INDEX ix ON dbo.Orders (name)',
      'CREATE UNIQUE NONCLUSTERED INDEX [ix] ON [dbo].[Orders] ([name]) INCLUDE (id) WITH (DROP_EXISTING = ON)',
      'ALTER INDEX ix ON dbo.Orders REBUILD',
    ])
      assert.deepEqual(
        rulesOf(sql).map((h) => h.rule),
        ['mssql-index-offline'],
        sql,
      );
  });

  it('names the statement it flags, up to where the next one starts', () => {
    const [hit] = rulesOf(
      "CREATE INDEX ix ON Orders (name) WHERE name <> ''\nINSERT INTO Orders VALUES (1, 'a')",
    );
    assert.equal(hit?.statement, "CREATE INDEX ix ON Orders (name) WHERE name <> ''");
    assert.equal(hit?.detail, 'table orders');
  });

  it('safe: WITH (ONLINE = ON), a table created in the same migration, text in comments and strings', () => {
    assert.deepEqual(rulesOf('CREATE INDEX ix ON dbo.Orders (name) WITH (ONLINE = ON);'), []);
    assert.deepEqual(rulesOf('ALTER INDEX ALL ON dbo.Orders REBUILD WITH (ONLINE = ON)'), []);
    assert.deepEqual(rulesOf('ALTER INDEX ix ON dbo.Orders DISABLE'), []);
    assert.deepEqual(rulesOf('CREATE TABLE [Fresh] (a int)\nGO\nCREATE INDEX ix ON dbo.Fresh (a)'), []);
    assert.deepEqual(
      rulesOf("-- CREATE INDEX ix ON Orders (name)\nPRINT 'CREATE INDEX ix ON Orders (name)'"),
      [],
    );
  });
});

describe('mssql-alter-column', () => {
  it('fires on ALTER TABLE … ALTER COLUMN on an existing table', () => {
    const [hit] = rulesOf('ALTER TABLE [dbo].[Orders] ALTER COLUMN [name] nvarchar(20) NOT NULL');
    assert.equal(hit?.rule, 'mssql-alter-column');
    assert.equal(hit?.detail, 'column orders.name');
  });

  it('safe: WITH (ONLINE = ON), a new table, other ALTER TABLE forms', () => {
    assert.deepEqual(rulesOf('ALTER TABLE Orders ALTER COLUMN name nvarchar(100) WITH (ONLINE = ON)'), []);
    assert.deepEqual(rulesOf('CREATE TABLE Fresh (a int)\nALTER TABLE Fresh ALTER COLUMN a bigint'), []);
    assert.deepEqual(rulesOf('ALTER TABLE Orders ADD note nvarchar(100) NULL'), []);
  });
});

describe('lock-timeout-disabled (T-SQL)', () => {
  it('fires on SET LOCK_TIMEOUT -1 (wait forever); 0 means "do not wait" in T-SQL and is safe', () => {
    assert.deepEqual(
      rulesOf('SET LOCK_TIMEOUT -1').map((h) => h.rule),
      ['lock-timeout-disabled'],
    );
    assert.deepEqual(rulesOf('SET LOCK_TIMEOUT 5000'), []);
    assert.deepEqual(rulesOf('SET LOCK_TIMEOUT 0'), []);
  });
});
