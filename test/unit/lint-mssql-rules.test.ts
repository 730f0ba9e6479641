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

function transactionRules(script: string, transactional: boolean) {
  const linter = createMssqlLinter(() => false);
  return linter
    .lintMigration({ name: 'm', transactional, statements: [script] })
    .map((h) => [h.rule, h.statement, h.detail]);
}

describe('mssql-commit-in-transaction', () => {
  it('fires on an unpaired COMMIT and on a ROLLBACK of the whole transaction, with their lines', () => {
    assert.deepEqual(transactionRules('CREATE TABLE t (id int);\nCOMMIT;', true), [
      ['mssql-commit-in-transaction', 'COMMIT', 'line 2, unpaired'],
    ]);
    // The second COMMIT is the unpaired one: the first closes the script's own BEGIN TRAN.
    assert.deepEqual(transactionRules('BEGIN TRAN\nGO\nCOMMIT TRAN\nGO\ncommit work', true), [
      ['mssql-commit-in-transaction', 'commit work', 'line 5, unpaired'],
    ]);
    assert.deepEqual(
      transactionRules(
        'BEGIN TRY\n  SELECT 1/0;\nEND TRY\nBEGIN CATCH\n  ROLLBACK TRANSACTION;\nEND CATCH',
        true,
      ),
      [['mssql-commit-in-transaction', 'ROLLBACK TRANSACTION', 'line 5']],
    );
    // A name that is no savepoint of the script is the outermost transaction's (all of it rolled back) or an error.
    assert.deepEqual(transactionRules('BEGIN TRAN t1;\nROLLBACK TRAN t1;', true), [
      ['mssql-commit-in-transaction', 'ROLLBACK TRAN t1', 'line 2'],
    ]);
  });

  it('safe: a BEGIN TRAN … COMMIT pair, ROLLBACK to a savepoint, words in strings / comments / names, options, module bodies', () => {
    // An SSMS change script: its own transactions only nest in dbfleet's.
    const ssms =
      'BEGIN TRANSACTION\nGO\nALTER TABLE dbo.Orders ADD note nvarchar(10) NULL\nGO\nCOMMIT\nGO\nBEGIN TRANSACTION;\nSELECT 1;\nCOMMIT;';
    assert.deepEqual(transactionRules(ssms, true), []);
    assert.deepEqual(transactionRules('SAVE TRANSACTION sp;\nDELETE FROM t;\nROLLBACK TRAN sp;', true), []);
    assert.deepEqual(
      transactionRules(
        '-- COMMIT\nPRINT \'ROLLBACK; COMMIT\';\n/* ROLLBACK */ SELECT [commit], "rollback" FROM t',
        true,
      ),
      [],
    );
    assert.deepEqual(
      transactionRules('SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SELECT @commit_count', true),
      [],
    );
    assert.deepEqual(
      transactionRules('ALTER DATABASE CURRENT SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE', true),
      [],
    );
    // A trigger's ROLLBACK runs later, in the transaction of the statement that fires it.
    assert.deepEqual(
      transactionRules(
        'CREATE TRIGGER trg ON t AFTER INSERT AS\nBEGIN\n  IF 1 = 0 ROLLBACK TRANSACTION;\nEND',
        true,
      ),
      [],
    );
    // Without a transaction there is none of dbfleet's to end.
    assert.deepEqual(transactionRules('CREATE TABLE t (id int);\nCOMMIT;', false), []);
  });
});

describe('mssql-begin-without-commit', () => {
  it('fires when BEGIN TRANs outnumber COMMITs, in a transactional migration too (where they nest)', () => {
    assert.deepEqual(transactionRules('BEGIN TRAN;\nBEGIN TRAN;\nCOMMIT;', true), [
      ['mssql-begin-without-commit', 'BEGIN TRAN', 'line 2: 2 BEGIN TRAN, 1 COMMIT'],
    ]);
    assert.deepEqual(transactionRules('BEGIN TRAN;\nUPDATE t SET a = 1;', false), [
      ['mssql-begin-without-commit', 'BEGIN TRAN', 'line 1: 1 BEGIN TRAN, 0 COMMIT'],
    ]);
    assert.deepEqual(transactionRules('BEGIN TRAN;\nBEGIN DISTRIBUTED TRANSACTION;\nCOMMIT;', false), [
      ['mssql-begin-without-commit', 'BEGIN DISTRIBUTED TRANSACTION', 'line 2: 2 BEGIN TRAN, 1 COMMIT'],
    ]);
  });

  it('safe: committed, across GO batches and statements; BEGIN … END / TRY blocks', () => {
    assert.deepEqual(
      transactionRules('BEGIN TRAN\nGO\nUPDATE t SET a = 1\nGO\nCOMMIT TRANSACTION', false),
      [],
    );
    const linter = createMssqlLinter(() => false);
    assert.deepEqual(
      linter.lintMigration({
        name: 'm',
        transactional: false,
        statements: ['BEGIN TRAN', 'UPDATE t SET a = 1', 'COMMIT'],
      }),
      [],
    );
    assert.deepEqual(
      transactionRules(
        'IF 1 = 1\nBEGIN\n  PRINT 1\nEND\nBEGIN TRY SELECT 1 END TRY BEGIN CATCH END CATCH',
        false,
      ),
      [],
    );
    assert.deepEqual(transactionRules("PRINT 'BEGIN TRAN'", false), []);
  });
});
