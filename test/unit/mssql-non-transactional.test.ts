import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mssqlAdapter } from '../../src/dialect/mssql/index.js';
import {
  checkTransactionalScript,
  findNonTransactionalStatements,
} from '../../src/dialect/mssql/non-transactional.js';

const found = (sql: string) => findNonTransactionalStatements(sql).map((f) => `${f.statement}@${f.line}`);

describe('statements SQL Server refuses inside a transaction', () => {
  test('each kind is found, with its line', () => {
    const script = [
      'ALTER DATABASE CURRENT SET READ_COMMITTED_SNAPSHOT ON;', // 1
      'create database other;', // 2
      'DROP DATABASE IF EXISTS other;', // 3
      "BACKUP DATABASE acme TO DISK = N'/b/acme.bak';", // 4
      "backup log acme to disk = N'/b/acme.trn';", // 5
      "RESTORE VERIFYONLY FROM DISK = N'/b/acme.bak';", // 6
      'RECONFIGURE;', // 7
      'CREATE FULLTEXT CATALOG ft;', // 8
      'CREATE FULLTEXT INDEX ON dbo.docs (body) KEY INDEX pk_docs;', // 9
      "EXEC sp_fulltext_database 'enable';", // 10
      'ALTER\n  DATABASE acme SET RECOVERY SIMPLE;', // 11-12
    ].join('\n');
    assert.deepEqual(found(script), [
      'ALTER DATABASE@1',
      'CREATE DATABASE@2',
      'DROP DATABASE@3',
      'BACKUP@4',
      'BACKUP@5',
      'RESTORE@6',
      'RECONFIGURE@7',
      'full-text catalog/index DDL@8',
      'full-text catalog/index DDL@9',
      'full-text system procedure@10',
      'ALTER DATABASE@11',
    ]);
  });

  test('strings, comments and delimited identifiers are ignored', () => {
    const script = [
      "insert into audit values (N'ALTER DATABASE x'), ('BACKUP DATABASE y');",
      '-- DROP DATABASE old',
      '/* RESTORE DATABASE acme\n   /* nested: RECONFIGURE */ */',
      'select [backup] from "restore database" where [ALTER DATABASE] = 1;',
      'declare @backup int; select @restore, #backup_log from t;',
    ].join('\n');
    assert.deepEqual(found(script), []);
  });

  test('database-scoped objects that are not databases are fine', () => {
    assert.deepEqual(
      found(
        "CREATE DATABASE SCOPED CREDENTIAL c WITH IDENTITY = N'x';\nCREATE DATABASE AUDIT SPECIFICATION a;\nDROP DATABASE ENCRYPTION KEY;",
      ),
      [],
    );
  });

  test('a procedure body is stored, not run; the next GO batch is checked again', () => {
    const script = [
      'CREATE OR ALTER PROCEDURE dbo.maintain AS', // 1
      'BEGIN', // 2
      '  ALTER DATABASE CURRENT SET AUTO_UPDATE_STATISTICS_ASYNC ON;', // 3
      'END', // 4
      'GO', // 5
      'ALTER DATABASE CURRENT SET AUTO_UPDATE_STATISTICS_ASYNC ON;', // 6
    ].join('\n');
    assert.deepEqual(found(script), ['ALTER DATABASE@6']);
  });

  test('line numbers count across GO batches', () => {
    assert.deepEqual(found("select 1\nGO\nselect 2\nGO\n\nBACKUP DATABASE a TO DISK = N'x'"), ['BACKUP@6']);
  });

  test('the message names the statements and both ways to opt out', () => {
    const message = checkTransactionalScript(
      'create table t (id int);\nALTER DATABASE CURRENT SET RECOVERY SIMPLE;',
    );
    assert.ok(message);
    assert.match(message, /ALTER DATABASE on line 2/);
    assert.match(message, /config = \{ transaction: false \}/);
    assert.match(message, /-- dbfleet: transaction=false/);
    assert.equal(
      checkTransactionalScript('create table t (id int);\nGO\ncreate index i on t (id);'),
      undefined,
    );
  });

  test('the adapter exposes the check to the migrator', () => {
    assert.equal(mssqlAdapter.checkTransactionalScript('select 1'), undefined);
    assert.match(mssqlAdapter.checkTransactionalScript('RECONFIGURE') ?? '', /RECONFIGURE on line 1/);
  });
});
