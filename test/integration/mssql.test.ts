/**
 * Against a real SQL Server: MSSQL_URL=mssql://sa:<password>@localhost:1433/master?trustServerCertificate=true
 * (e.g. the mcr.microsoft.com/mssql/server:2022-latest container). The login needs CREATE DATABASE.
 * Each run works in its own throwaway database, dropped at the end. Backups go to MSSQL_BACKUP_DIR, a
 * directory as the SQL Server host sees it (default: the instance's default backup, else data, directory);
 * the .bak files stay there, since T-SQL cannot delete files.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Tenant } from '../../src/core/tenant.js';
import { fingerprintMssql } from '../../src/dialect/mssql/fingerprint.js';
import { mssqlAdapter } from '../../src/dialect/mssql/index.js';
import { mssqlOptimizer } from '../../src/dialect/mssql/optimize.js';
import { quoteIdent, quoteString } from '../../src/dialect/mssql/quote.js';
import { queryBatch } from '../../src/dialect/mssql/raw-connection.js';
import {
  backupDatabaseSql,
  checkDbSql,
  dropScratchSql,
  fileListOnlySql,
  planScratchFiles,
  readFileList,
  restoreAsSql,
  scratchPrefix,
  verifyOnlySql,
} from '../../src/dialect/mssql/sql/backup.js';
import { readServerInfo, SERVER_INFO_SQL } from '../../src/dialect/mssql/sql/catalog.js';
import type { SessionOptions, TenantSession } from '../../src/dialect/types.js';
import { loadMigrations, migrate } from '../../src/index.js';

const url = process.env.MSSQL_URL;

if (!url) {
  test('SQL Server integration', (t) => {
    t.skip(
      'MSSQL_URL not set: set it to a SQL Server 2022 login that may create databases, e.g. mssql://sa:pw@localhost:1433/master?trustServerCertificate=true',
    );
  });
} else {
  const admin = mssqlAdapter.parseConnection(url);
  const database = `dbfleet_it_${randomBytes(4).toString('hex')}`;
  const options: SessionOptions = { timeouts: { lockTimeoutMs: 2000, statementTimeoutMs: 0 } };
  const tenantOf = (db: string, id = 'it'): Tenant => ({
    id,
    dialect: 'mssql',
    connection: { ...admin.connection, database: db },
    host: admin.host,
    database: db,
    tags: [],
  });
  const open: TenantSession[] = [];
  const session = async (opts: SessionOptions = options) => {
    const s = await mssqlAdapter.open(tenantOf(database), opts);
    open.push(s);
    return s;
  };
  let adminSession: TenantSession;

  before(async () => {
    adminSession = await mssqlAdapter.open(tenantOf(admin.database, 'admin'), options);
    await queryBatch(adminSession.knex, `CREATE DATABASE ${quoteIdent(database)};`);
  });

  after(async () => {
    for (const s of open) await s.close().catch(() => {});
    await queryBatch(
      adminSession.knex,
      `ALTER DATABASE ${quoteIdent(database)} SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE ${quoteIdent(database)};`,
    ).catch(() => {});
    await adminSession.close();
  });

  describe('SQL Server session', () => {
    test('opens with XACT_ABORT ON and the lock timeout, visible to knex queries', async () => {
      const s = await session();
      assert.match(await s.serverVersion(), /^\d+\.\d+\./);
      const rows = mssqlAdapter.rowsOf(
        await s.knex.raw(
          'SELECT @@LOCK_TIMEOUT AS lock_timeout, CAST(@@OPTIONS & 16384 AS int) AS xact_abort',
        ),
      );
      assert.deepEqual(rows, [{ lock_timeout: 2000, xact_abort: 16384 }]);
    });

    test('the application lock: a second session gets false, and gets it once the first lets go or dies', async () => {
      const a = await session();
      const b = await session();
      assert.equal(await a.tryLock(0), true);
      assert.equal(await b.tryLock(0), false);
      assert.equal(await b.tryLock(300), false);
      await a.unlock();
      assert.equal(await b.tryLock(0), true);
      const c = await session();
      assert.equal(await c.tryLock(0), false);
      await b.close(); // the lock dies with the connection
      assert.equal(await c.tryLock(1000), true);
      await c.unlock();
    });

    test('a GO script: batches in order, GO n, CREATE PROCEDURE alone in its batch, SETs carried over', async () => {
      const s = await session();
      await s.runScript(
        [
          'CREATE TABLE dbo.go_test (id int IDENTITY PRIMARY KEY, note nvarchar(50));',
          'GO',
          "INSERT dbo.go_test (note) VALUES (N'one\nGO\nthree');",
          'GO 3',
          'CREATE PROCEDURE dbo.go_count AS SELECT COUNT(*) AS n FROM dbo.go_test;',
          'GO',
          'SET LOCK_TIMEOUT 1234;',
          'GO',
        ].join('\n'),
      );
      const rows = mssqlAdapter.rowsOf(await s.knex.raw('EXEC dbo.go_count'));
      assert.deepEqual(rows, [{ n: 3 }]);
      const notes = mssqlAdapter.rowsOf(await s.knex.raw('SELECT DISTINCT note FROM dbo.go_test'));
      assert.deepEqual(notes, [{ note: 'one\nGO\nthree' }]);
      assert.deepEqual(mssqlAdapter.rowsOf(await s.knex.raw('SELECT @@LOCK_TIMEOUT AS t')), [{ t: 1234 }]);
    });

    test('a transaction-scoped timeout ends with the transaction', async () => {
      const s = await session();
      await s.transaction(async (trx) => {
        await s.setTimeouts({ lockTimeoutMs: 77, statementTimeoutMs: 0 }, trx);
        assert.deepEqual(mssqlAdapter.rowsOf(await trx.raw('SELECT @@LOCK_TIMEOUT AS t')), [{ t: 77 }]);
      });
      assert.deepEqual(mssqlAdapter.rowsOf(await s.knex.raw('SELECT @@LOCK_TIMEOUT AS t')), [{ t: 2000 }]);
    });

    test('real errors are classified: lock timeout, statement refused in a transaction', async () => {
      const holder = await session();
      const waiter = await session({ timeouts: { lockTimeoutMs: 200, statementTimeoutMs: 0 } });
      await holder.runScript('CREATE TABLE dbo.locked (id int PRIMARY KEY); INSERT dbo.locked VALUES (1);');
      const trx = await holder.knex.transaction();
      try {
        await trx.raw('UPDATE dbo.locked SET id = id');
        await assert.rejects(waiter.knex.raw('UPDATE dbo.locked SET id = id'), (err) => {
          assert.equal(mssqlAdapter.classifyError(err)?.code, 'LOCK_TIMEOUT');
          return true;
        });
      } finally {
        await trx.rollback();
      }
      await assert.rejects(
        waiter.transaction((t) =>
          waiter.runScript('ALTER DATABASE CURRENT SET AUTO_UPDATE_STATISTICS ON;', t),
        ),
        (err) => mssqlAdapter.classifyError(err)?.code === 'NOT_TRANSACTIONAL',
      );
    });
  });

  // A BEGIN TRAN … COMMIT pair of the script's own only nests in dbfleet's transaction; an unpaired COMMIT
  // commits it (@@TRANCOUNT 0). Before, the history row autocommitted and knex's COMMIT failed (3902):
  // reported "rolled back: nothing of it was applied" while the tenant held the migration and its row.
  describe('SQL Server migrations with transaction statements of their own', () => {
    test('a paired BEGIN TRAN / COMMIT is applied and recorded; an unpaired COMMIT fails TRANSACTION_ENDED, unrecorded', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dbfleet-mssql-own-commit-'));
      try {
        writeFileSync(
          join(dir, '001_paired.sql'),
          'BEGIN TRANSACTION\nGO\nCREATE TABLE dbo.own_paired (id int)\nGO\nCOMMIT\nGO\n',
        );
        writeFileSync(join(dir, '002_unpaired.sql'), 'CREATE TABLE dbo.own_unpaired (id int);\nCOMMIT;\n');
        const report = await migrate({
          tenants: [tenantOf(database)],
          migrations: await loadMigrations(dir),
        });
        const result = report.tenants[0]!;
        assert.equal(result.status, 'failed');
        assert.equal(result.error?.code, 'TRANSACTION_ENDED', result.error?.message);
        assert.match(
          result.error?.message ?? '',
          /all it ran is committed, and it is not recorded as applied/,
        );
        assert.doesNotMatch(result.error?.message ?? '', /nothing of it was applied/);
        const s = await session();
        const names = mssqlAdapter
          .rowsOf(await s.knex.raw('SELECT name FROM dbo.knex_migrations ORDER BY id'))
          .map((r) => r.name);
        assert.deepEqual(names, ['001_paired.sql']);
        const tables = mssqlAdapter
          .rowsOf(await s.knex.raw("SELECT name FROM sys.tables WHERE name LIKE 'own[_]%' ORDER BY name"))
          .map((r) => r.name);
        assert.deepEqual(tables, ['own_paired', 'own_unpaired'], 'the unpaired COMMIT committed its table');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('SQL Server backup, verify, scratch restore', () => {
    test('BACKUP, RESTORE VERIFYONLY, restore into a scratch database with the same fingerprint, CHECKDB, drop', async () => {
      const s = await session();
      await s.runScript(
        'CREATE TABLE dbo.orders (id int PRIMARY KEY, total decimal(10, 2) NOT NULL CHECK (total >= 0));\nGO\nINSERT dbo.orders VALUES (1, 9.50), (2, 20);',
      );
      const server = readServerInfo((await queryBatch(s.knex, SERVER_INFO_SQL)).rows[0]);
      const dir = process.env.MSSQL_BACKUP_DIR ?? server.defaultBackupPath ?? server.defaultDataPath;
      assert.ok(dir, 'no directory to back up to: set MSSQL_BACKUP_DIR');
      const separator = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
      const path = `${dir.replace(/[\\/]+$/, '')}${separator}${database}.bak`;

      await queryBatch(
        s.knex,
        backupDatabaseSql(database, path, { compression: server.engineEdition !== 4 }),
        { timeoutMs: 0 },
      );
      await queryBatch(s.knex, verifyOnlySql(path), { timeoutMs: 0 });

      const scratch = `${scratchPrefix({ id: 'it', database })}${Date.now() % 1_000_000}`;
      const files = readFileList((await queryBatch(s.knex, fileListOnlySql(path))).rows);
      assert.ok(files.some((f) => f.type === 'D') && files.some((f) => f.type === 'L'));
      const moves = planScratchFiles(files, scratch, server.defaultDataPath!, server.defaultLogPath!);
      try {
        await queryBatch(s.knex, restoreAsSql(scratch, path, moves), { timeoutMs: 0 });
        const source = await fingerprintMssql(s.knex, 'full', {});
        const copy = await fingerprintMssql(s.knex, 'full', { database: scratch });
        assert.deepEqual(copy, source);
        assert.equal(source.tables['dbo.orders']?.rows, 2);
        await queryBatch(s.knex, checkDbSql(scratch), { timeoutMs: 0 });
      } finally {
        await queryBatch(s.knex, dropScratchSql(scratch), { timeoutMs: 0 });
      }
      const left = await queryBatch(s.knex, `SELECT DB_ID(${quoteString(scratch)}) AS id;`);
      assert.equal(left.rows[0]?.id, null);
    });

    test('optimizer: describe, build (online where the edition can), inspect, walk a batched delete', async () => {
      const s = await session();
      await s.runScript(
        "CREATE TABLE dbo.events (id bigint PRIMARY KEY, kind nvarchar(10) NOT NULL, at datetime2 NOT NULL);\nGO\nINSERT dbo.events SELECT TOP (25) ROW_NUMBER() OVER (ORDER BY (SELECT 1)), N'tmp', SYSUTCDATETIME() FROM sys.all_objects;",
      );
      const table = await mssqlOptimizer.describeTable(s.knex, 'events');
      assert.deepEqual(table, { schema: 'dbo', name: 'events', primaryKey: ['id'] });
      const spec = {
        name: 'ix_events_kind',
        table: 'events',
        columns: [{ kind: 'column' as const, name: 'kind' }],
        unique: false,
        where: "kind = N'tmp'",
      };
      await mssqlOptimizer.createIndex(s.knex, spec, table!);
      const state = await mssqlOptimizer.inspectIndex(s.knex, spec, table!);
      assert.equal(state.exists && state.matches, true, JSON.stringify(state));
      let after: unknown[] | undefined;
      let deleted = 0;
      for (;;) {
        const batch = await s.transaction((trx) =>
          mssqlOptimizer.deleteBatch(trx, {
            table: table!,
            key: ['id'],
            where: 'kind = ?',
            bindings: ['tmp'],
            limit: 10,
            after,
          }),
        );
        deleted += batch.deleted;
        if (!batch.lastKey) break;
        after = batch.lastKey;
      }
      assert.equal(deleted, 25);
      assert.deepEqual(await mssqlOptimizer.analyze(s.knex, { tables: ['events'], onlyModified: false }), [
        'events',
      ]);
    });
  });
}
