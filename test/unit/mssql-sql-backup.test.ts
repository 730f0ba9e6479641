import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  appLockResource,
  getAppLockSql,
  interpretGetAppLock,
  interpretReleaseAppLock,
  migrationLockResourceSql,
  releaseAppLockSql,
} from '../../src/dialect/mssql/applock.js';
import { intLiteral, quoteIdent, quoteQualified, quoteString } from '../../src/dialect/mssql/quote.js';
import {
  effectiveRequestTimeout,
  lockTimeoutSql,
  sessionInitSql,
} from '../../src/dialect/mssql/session-timeouts.js';
import {
  backupDatabaseSql,
  backupSupport,
  checkDbSql,
  createScratchSql,
  dropScratchSql,
  fileListOnlySql,
  headerOnlySql,
  isScratchOf,
  likePrefix,
  listScratchSql,
  multiUserAgainSql,
  planScratchFiles,
  readFileList,
  restoreAsSql,
  restoreOverSql,
  scratchPrefix,
  verifyOnlySql,
} from '../../src/dialect/mssql/sql/backup.js';
import { ensureSchemaSql, readServerInfo } from '../../src/dialect/mssql/sql/catalog.js';

describe('quoting', () => {
  test('identifiers: brackets, ] doubled; nothing else needs escaping inside brackets', () => {
    assert.equal(quoteIdent('a]b'), '[a]]b]');
    assert.equal(quoteIdent("o'brien"), "[o'brien]");
    assert.equal(quoteIdent('x;drop'), '[x;drop]');
    assert.equal(quoteIdent('new\nline'), '[new\nline]');
    assert.equal(quoteIdent('[x]'), '[[x]]]');
    assert.equal(quoteQualified('s]', 't'), '[s]]].[t]');
  });

  test('identifiers the server would reject are refused here', () => {
    assert.throws(() => quoteIdent(''), /cannot be empty/);
    assert.throws(() => quoteIdent('x'.repeat(129)), /at most 128/);
    assert.throws(() => quoteIdent('a\0b'), /NUL/);
  });

  test("strings: N'…' with ' doubled", () => {
    assert.equal(quoteString("o'brien"), "N'o''brien'");
    assert.equal(quoteString("'; DROP DATABASE x; --"), "N'''; DROP DATABASE x; --'");
    assert.equal(quoteString('C:\\backups\\a.bak'), "N'C:\\backups\\a.bak'");
  });

  test('integers only as non-negative safe integers', () => {
    assert.equal(intLiteral(42, 'n'), '42');
    assert.throws(() => intLiteral(1.5, 'n'), /non-negative integer/);
    assert.throws(() => intLiteral(-1, 'n'), /non-negative integer/);
    assert.throws(() => intLiteral(Number.NaN, 'n'), /non-negative integer/);
  });
});

describe('session SQL', () => {
  test('lock timeout: dbfleet 0 (= forever) is -1 in T-SQL; fractions never become 0 (= do not wait)', () => {
    assert.equal(lockTimeoutSql(0), 'SET LOCK_TIMEOUT -1;');
    assert.equal(lockTimeoutSql(5000), 'SET LOCK_TIMEOUT 5000;');
    assert.equal(lockTimeoutSql(0.2), 'SET LOCK_TIMEOUT 1;');
    assert.equal(
      sessionInitSql({ lockTimeoutMs: 2500, statementTimeoutMs: 0 }),
      'SET XACT_ABORT ON; SET LOCK_TIMEOUT 2500;',
    );
  });

  test('request timeout: the statement timeout, else the configured one, else none (never 15 s)', () => {
    assert.equal(effectiveRequestTimeout({ lockTimeoutMs: 0, statementTimeoutMs: 0 }), 0);
    assert.equal(effectiveRequestTimeout({ lockTimeoutMs: 0, statementTimeoutMs: 0 }, 60_000), 60_000);
    assert.equal(effectiveRequestTimeout({ lockTimeoutMs: 0, statementTimeoutMs: 30_000 }, 60_000), 30_000);
  });

  test('application lock: session-owned, exclusive, status read back', () => {
    assert.equal(appLockResource('acme'), 'dbfleet:acme');
    assert.equal(appLockResource('shared', "o'brien"), "dbfleet:o'brien");
    assert.equal(
      getAppLockSql("dbfleet:o'brien", 1500),
      [
        'DECLARE @result int;',
        "EXEC @result = sp_getapplock @Resource = N'dbfleet:o''brien', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 1500;",
        'SELECT @result AS result;',
      ].join('\n'),
    );
    assert.equal(
      releaseAppLockSql('dbfleet:a]b'),
      "DECLARE @result int;\nEXEC @result = sp_releaseapplock @Resource = N'dbfleet:a]b', @LockOwner = 'Session';\nSELECT @result AS result;",
    );
    assert.match(getAppLockSql('r', -5), /@LockTimeout = 0;/);
    assert.equal(migrationLockResourceSql(), "N'dbfleet:' + DB_NAME()");
    assert.equal(
      migrationLockResourceSql("o'b"),
      "N'dbfleet:' + COALESCE(SCHEMA_NAME(SCHEMA_ID(N'o''b')), N'o''b')",
    );
  });

  test('application lock status codes', () => {
    assert.equal(interpretGetAppLock(0, 'r'), true);
    assert.equal(interpretGetAppLock(1, 'r'), true);
    assert.equal(interpretGetAppLock(-1, 'r'), false);
    assert.throws(() => interpretGetAppLock(-2, 'r'), /status -2: the request was cancelled/);
    assert.throws(() => interpretGetAppLock(-3, 'r'), /deadlock victim/);
    assert.throws(() => interpretGetAppLock(-999, 'r'), /parameter or call error/);
    assert.throws(() => interpretGetAppLock(undefined, 'r'), /status undefined/);
    interpretReleaseAppLock(0, 'r');
    assert.throws(() => interpretReleaseAppLock(-999, 'r'), /not held/);
  });

  test('a schema tenant’s schema is created with CREATE SCHEMA alone in its (dynamic) batch', () => {
    assert.equal(
      ensureSchemaSql("o'b]x"),
      "IF SCHEMA_ID(N'o''b]x') IS NULL EXEC(N'CREATE SCHEMA [o''b]]x]');",
    );
  });

  test('server facts are read with their absent values left out', () => {
    assert.deepEqual(
      readServerInfo({
        product_version: '16.0.4135.4',
        edition: 'Developer Edition (64-bit)',
        engine_edition: 3,
        default_data_path: '/var/opt/mssql/data/',
        default_log_path: '/var/opt/mssql/data/',
        default_backup_path: null,
      }),
      {
        productVersion: '16.0.4135.4',
        edition: 'Developer Edition (64-bit)',
        engineEdition: 3,
        defaultDataPath: '/var/opt/mssql/data/',
        defaultLogPath: '/var/opt/mssql/data/',
        defaultBackupPath: undefined,
      },
    );
    assert.throws(() => readServerInfo(undefined), /no row/);
  });
});

describe('backup and restore SQL', () => {
  const hostile = "o'brien]; DROP DATABASE x;\n--";

  test('BACKUP: checksum, copy-only, one backup per file; compression when asked', () => {
    assert.equal(
      backupDatabaseSql('acme', '/var/opt/mssql/backup/acme.bak'),
      "BACKUP DATABASE [acme] TO DISK = N'/var/opt/mssql/backup/acme.bak' WITH CHECKSUM, COPY_ONLY, INIT, FORMAT;",
    );
    assert.equal(
      backupDatabaseSql(hostile, "D:\\b\\o'brien.bak", { compression: true }),
      "BACKUP DATABASE [o'brien]]; DROP DATABASE x;\n--] TO DISK = N'D:\\b\\o''brien.bak' WITH CHECKSUM, COPY_ONLY, INIT, FORMAT, COMPRESSION;",
    );
  });

  test('which editions can back up to a file, and compress', () => {
    assert.deepEqual(backupSupport(3, 'Developer Edition (64-bit)'), { supported: true, compression: true });
    assert.deepEqual(backupSupport(2, 'Standard Edition (64-bit)'), { supported: true, compression: true });
    assert.deepEqual(backupSupport(2, 'Web Edition (64-bit)'), { supported: true, compression: false });
    assert.deepEqual(backupSupport(4, 'Express Edition (64-bit)'), { supported: true, compression: false });
    assert.equal(backupSupport(5, 'SQL Azure').supported, false);
    assert.match(backupSupport(8, 'SQL Azure').reason ?? '', /URL only/);
  });

  test('verify, list files, read the header', () => {
    assert.equal(verifyOnlySql("/b/o'b.bak"), "RESTORE VERIFYONLY FROM DISK = N'/b/o''b.bak' WITH CHECKSUM;");
    assert.equal(fileListOnlySql('/b/a.bak'), "RESTORE FILELISTONLY FROM DISK = N'/b/a.bak';");
    assert.equal(headerOnlySql('/b/a.bak'), "RESTORE HEADERONLY FROM DISK = N'/b/a.bak';");
  });

  test('a scratch restore moves every file to a new, safe name', () => {
    const files = readFileList([
      { LogicalName: 'acme', PhysicalName: '/var/opt/mssql/data/acme.mdf', Type: 'D' },
      { LogicalName: "acme 2'nd", PhysicalName: '/var/opt/mssql/data/acme2.ndf', Type: 'D' },
      { LogicalName: 'acme_log', PhysicalName: '/var/opt/mssql/data/acme_log.ldf', Type: 'L' },
      { LogicalName: 'fs', PhysicalName: '/var/opt/mssql/data/fs', Type: 'S' },
    ]);
    const moves = planScratchFiles(files, 'dbfleet_verify_acme_7', '/var/opt/mssql/data', 'L:\\logs\\');
    assert.deepEqual(moves, [
      { logicalName: 'acme', physicalName: '/var/opt/mssql/data/dbfleet_verify_acme_7_0_acme.mdf' },
      { logicalName: "acme 2'nd", physicalName: '/var/opt/mssql/data/dbfleet_verify_acme_7_1_acme_2_nd.ndf' },
      { logicalName: 'acme_log', physicalName: 'L:\\logs\\dbfleet_verify_acme_7_2_acme_log.ldf' },
      { logicalName: 'fs', physicalName: '/var/opt/mssql/data/dbfleet_verify_acme_7_3_fs' },
    ]);
    assert.equal(
      restoreAsSql('dbfleet_verify_acme_7', '/b/a.bak', moves.slice(1, 3), { replace: true }),
      "RESTORE DATABASE [dbfleet_verify_acme_7] FROM DISK = N'/b/a.bak' WITH MOVE N'acme 2''nd' TO N'/var/opt/mssql/data/dbfleet_verify_acme_7_1_acme_2_nd.ndf', MOVE N'acme_log' TO N'L:\\logs\\dbfleet_verify_acme_7_2_acme_log.ldf', CHECKSUM, RECOVERY, REPLACE;",
    );
    assert.throws(() => restoreAsSql('x', '/b/a.bak', []), /FILELISTONLY/);
  });

  test('a rollback restore over the tenant’s own database, then MULTI_USER in a batch of its own', () => {
    assert.equal(
      restoreOverSql("o'b]", '/b/a.bak'),
      [
        "ALTER DATABASE [o'b]]] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;",
        "RESTORE DATABASE [o'b]]] FROM DISK = N'/b/a.bak' WITH CHECKSUM, RECOVERY, REPLACE;",
      ].join('\n'),
    );
    assert.equal(
      multiUserAgainSql("o'b]"),
      [
        "IF EXISTS (SELECT 1 FROM sys.databases WHERE name = N'o''b]' AND state_desc = N'ONLINE' AND user_access_desc <> N'MULTI_USER')",
        "  ALTER DATABASE [o'b]]] SET MULTI_USER;",
      ].join('\n'),
    );
  });

  test('DBCC CHECKDB', () => {
    assert.equal(checkDbSql('a]b'), 'DBCC CHECKDB ([a]]b]) WITH NO_INFOMSGS, ALL_ERRORMSGS;');
  });

  test('scratch names: per tenant, injective, and only they can be created or dropped', () => {
    const acme = { id: 'acme', database: 'acme' };
    assert.match(scratchPrefix(acme), /^dbfleet_verify_acme_[0-9a-f]{8}_$/);
    assert.match(
      scratchPrefix({ id: 'Acme Corp', database: 'x' }),
      /^dbfleet_verify_acme_corp_[0-9a-f]{8}_$/,
    );
    assert.notEqual(
      scratchPrefix({ id: 'acme_corp', database: 'x' }),
      scratchPrefix({ id: 'Acme Corp', database: 'x' }),
    );
    // Staging's acme and production's acme (other databases, one server): never each other's scratch.
    const production = { id: 'acme', database: 'acme_production' };
    assert.notEqual(scratchPrefix(acme), scratchPrefix(production));
    assert.notEqual(scratchPrefix(acme), scratchPrefix({ ...acme, schema: 'acme' }));
    assert.ok(isScratchOf(acme, `${scratchPrefix(acme)}123`));
    assert.ok(!isScratchOf(production, `${scratchPrefix(acme)}123`));
    assert.ok(!isScratchOf(acme, `${scratchPrefix({ id: 'acme_corp', database: 'acme' })}1`));
    assert.equal(createScratchSql('dbfleet_verify_acme_1'), 'CREATE DATABASE [dbfleet_verify_acme_1];');
    assert.equal(
      dropScratchSql('dbfleet_verify_acme_1'),
      [
        "IF DB_ID(N'dbfleet_verify_acme_1') IS NOT NULL",
        'BEGIN',
        "  IF EXISTS (SELECT 1 FROM sys.databases WHERE name = N'dbfleet_verify_acme_1' AND state_desc = N'ONLINE')",
        '    ALTER DATABASE [dbfleet_verify_acme_1] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;',
        '  DROP DATABASE [dbfleet_verify_acme_1];',
        'END;',
      ].join('\n'),
    );
    assert.throws(() => dropScratchSql('acme'), /refusing to touch acme/);
    assert.throws(() => createScratchSql("x'; DROP DATABASE acme; --"), /refusing/);
  });

  test('leftover scratch databases: LIKE wildcards in the prefix are literal', () => {
    assert.equal(likePrefix('a_b%c[d'), 'a[_]b[%]c[[]d%');
    assert.equal(
      listScratchSql(),
      "SELECT name FROM sys.databases WHERE name LIKE N'dbfleet[_]verify[_]%' ORDER BY name;",
    );
    assert.equal(
      listScratchSql('dbfleet_verify_acme_'),
      "SELECT name FROM sys.databases WHERE name LIKE N'dbfleet[_]verify[_]acme[_]%' ORDER BY name;",
    );
  });
});
