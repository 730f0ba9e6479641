import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import knexFactory from 'knex';
import { TenantError } from '../../src/core/errors.js';
import type { Tenant } from '../../src/core/tenant.js';
import type { ArchiveInfo, BackupContext } from '../../src/dialect/backup-types.js';
import { mssqlBackupDriver } from '../../src/dialect/mssql/backup.js';
import { classifyMssqlError, RECONNECT_REFUSED } from '../../src/dialect/mssql/errors.js';
import { assembleFingerprint } from '../../src/dialect/mssql/fingerprint.js';
import { mssqlAdapter } from '../../src/dialect/mssql/index.js';
import { hardenMssqlClient, withLoginDiagnostics } from '../../src/dialect/mssql/knex-client.js';
import { mssqlOptimizer } from '../../src/dialect/mssql/optimize.js';
import type { TediousLike } from '../../src/dialect/mssql/raw-connection.js';
import { ScriptBatchError } from '../../src/dialect/mssql/run-script.js';
import { mssqlKnexConfig, openMssqlSession } from '../../src/dialect/mssql/session.js';
import {
  dropScratchSql,
  multiUserAgainSql,
  restoreOverSql,
  scratchPrefix,
} from '../../src/dialect/mssql/sql/backup.js';
import type { IndexSpec } from '../../src/dialect/optimize-types.js';
import type { SessionOptions, TenantSession } from '../../src/dialect/types.js';
import {
  FakeRequest,
  FakeTedious,
  type Reply,
  type Responder,
  route,
  serverError,
} from '../helpers/mssql-fake-tedious.js';

function tenant(over: Partial<Tenant> = {}): Tenant {
  const parsed = mssqlAdapter.parseConnection('mssql://app:pw@db1/acme');
  return {
    id: 'acme',
    dialect: 'mssql',
    connection: parsed.connection,
    host: parsed.host,
    database: 'acme',
    tags: [],
    ...over,
  };
}

const options: SessionOptions = { timeouts: { lockTimeoutMs: 5000, statementTimeoutMs: 0 } };
const sessions: TenantSession[] = [];
after(async () => {
  for (const s of sessions) await s.close().catch(() => {});
});

async function open(responder: Responder = () => ({}), t: Tenant = tenant(), opts: SessionOptions = options) {
  const fake = new FakeTedious(responder);
  const session = await openMssqlSession(t, opts, fake.driver);
  sessions.push(session);
  return { session, fake };
}

describe('knex configuration', () => {
  test('XACT_ABORT at login, no 15 s request timeout, values never in error messages', () => {
    const config = mssqlKnexConfig(tenant(), options);
    const connection = config.connection as { options: Record<string, unknown>; server: string };
    assert.equal(config.client, 'mssql');
    assert.equal(config.compileSqlOnError, false);
    assert.equal(connection.server, 'db1');
    assert.deepEqual(connection.options, {
      appName: 'dbfleet',
      connectTimeout: 15_000,
      cancelTimeout: 60_000,
      encrypt: true,
      trustServerCertificate: false,
      abortTransactionOnError: true,
      requestTimeout: 0,
    });
  });

  test('the request timeout follows the statement timeout, then SessionOptions, then the tenant URL', () => {
    const timeoutOf = (t: Tenant, o: SessionOptions) =>
      (mssqlKnexConfig(t, o).connection as { options: { requestTimeout: number } }).options.requestTimeout;
    const withUrlTimeout = tenant({
      connection: mssqlAdapter.parseConnection('mssql://u:p@h/acme?requestTimeout=90000').connection,
    });
    assert.equal(timeoutOf(withUrlTimeout, options), 90_000);
    assert.equal(timeoutOf(withUrlTimeout, { ...options, requestTimeoutMs: 60_000 }), 60_000);
    assert.equal(
      timeoutOf(withUrlTimeout, { timeouts: { lockTimeoutMs: 0, statementTimeoutMs: 1000 } }),
      1000,
    );
  });
});

describe('opening a session', () => {
  test('one plain batch sets XACT_ABORT and LOCK_TIMEOUT on the pinned connection', async () => {
    const { fake } = await open();
    assert.deepEqual(
      fake.log.map((e) => [e.kind, e.sql]),
      [['batch', 'SET XACT_ABORT ON; SET LOCK_TIMEOUT 5000;']],
    );
    assert.equal(fake.connections.length, 1);
    assert.equal(fake.connections[0]!.config.options.abortTransactionOnError, true);
  });

  // knex runs a knexfile's pool.afterCreate on every connection of its pool; the session's one connection
  // gets it too, after the guard that refuses a silent second connection.
  test("the knexfile's pool.afterCreate runs on the session's connection, before its first batch", async () => {
    const seen: unknown[] = [];
    const afterCreate = (connection: unknown, done: (err?: Error | null, c?: unknown) => void) => {
      seen.push(connection);
      done(null, connection);
    };
    const { fake } = await open(undefined, tenant(), { ...options, knex: { pool: { afterCreate } } });
    assert.equal(seen.length, 1);
    assert.equal(seen[0], fake.connections[0]);
  });

  // Opening creates nothing: a backup of a tenant whose schema was dropped must fail, not back up an
  // empty schema it created. Only a migrate calls ensureSchema().
  test("a schema tenant's schema is created by ensureSchema(), never by opening the session", async () => {
    const t = tenant({ id: 'b', schema: 'tenant_b', database: 'shared' });
    const { session, fake } = await open(route([/SCHEMA_ID/, { rows: [{ found: 0 }] }]), t);
    assert.deepEqual(fake.sent(), ['SET XACT_ABORT ON; SET LOCK_TIMEOUT 5000;']);
    assert.equal(await session.schemaExists(), false);
    await session.ensureSchema();
    assert.deepEqual(fake.sent().slice(1), [
      "SELECT CASE WHEN SCHEMA_ID(N'tenant_b') IS NULL THEN 0 ELSE 1 END AS found;",
      "IF SCHEMA_ID(N'tenant_b') IS NULL EXEC(N'CREATE SCHEMA [tenant_b]');",
    ]);
  });

  test('a failed open closes what it opened and reports a classified error', async () => {
    const fake = new FakeTedious(route([/XACT_ABORT/, { error: serverError('Login failed', 18456) }]));
    await assert.rejects(
      openMssqlSession(tenant(), options, fake.driver),
      (err) => classifyMssqlError(err)?.code === 'AUTH_FAILED',
    );
    assert.equal(fake.connections[0]!.closed, true);
  });

  test('queries through knex go as sp_executesql requests, dbfleet’s own SQL as plain batches', async () => {
    const { session, fake } = await open(
      route([/ProductVersion/, { rows: [{ product_version: '16.0.4135.4' }] }]),
    );
    await session.knex.raw('select ?', [1]);
    assert.equal(await session.serverVersion(), '16.0.4135.4');
    assert.deepEqual(
      fake.log.slice(1).map((e) => [e.kind, e.sql, e.parameters]),
      [
        ['sql', 'select @p0', [1]],
        ['batch', "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version;", []],
      ],
    );
  });
});

describe('the migration lock', () => {
  test('taken with sp_getapplock, once, on the server’s spelling of the database; released by that name', async () => {
    const { session, fake } = await open(
      route(
        [/sp_getapplock/, { rows: [{ result: 0, resource: 'dbfleet:Acme' }] }],
        [/sp_releaseapplock/, { rows: [{ result: 0 }] }],
      ),
    );
    assert.equal(await session.tryLock(250), true);
    assert.equal(await session.tryLock(250), true);
    await session.unlock();
    await session.unlock();
    const lockRequests = fake.log.filter((e) => /applock/.test(e.sql));
    assert.equal(lockRequests.length, 2);
    assert.equal(
      lockRequests[0]!.sql,
      [
        "DECLARE @resource nvarchar(255) = N'dbfleet:' + DB_NAME(), @result int;",
        "EXEC @result = sp_getapplock @Resource = @resource, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 250;",
        'SELECT @result AS result, @resource AS resource;',
      ].join('\n'),
    );
    assert.equal(lockRequests[0]!.timeout, 30_250, 'the request outlives the server-side wait');
    assert.match(
      lockRequests[1]!.sql,
      /sp_releaseapplock @Resource = N'dbfleet:Acme', @LockOwner = 'Session';/,
    );
  });

  test('another holder: false; a deadlock or error status: thrown', async () => {
    const busy = await open(route([/sp_getapplock/, { rows: [{ result: -1 }] }]));
    assert.equal(await busy.session.tryLock(0), false);
    const broken = await open(route([/sp_getapplock/, { rows: [{ result: -3 }] }]));
    await assert.rejects(broken.session.tryLock(0), /deadlock victim/);
  });

  test('schema tenants lock their schema', async () => {
    const { session, fake } = await open(
      route([/sp_getapplock/, { rows: [{ result: 1 }] }]),
      tenant({ id: 'b', schema: "o'b", database: 'shared' }),
    );
    assert.equal(await session.tryLock(10), true);
    assert.match(
      fake.sent().at(-1) ?? '',
      /@resource nvarchar\(255\) = N'dbfleet:' \+ COALESCE\(SCHEMA_NAME\(SCHEMA_ID\(N'o''b'\)\), N'o''b'\)/,
    );
  });
});

describe('scripts', () => {
  test('GO batches run in order as plain batches, GO n repeating', async () => {
    const { session, fake } = await open();
    await session.runScript('create table t (id int)\nGO\ninsert t values (1)\nGO 3\n-- done\nGO');
    assert.deepEqual(fake.sent().slice(1), [
      'create table t (id int)\n',
      'insert t values (1)\n',
      'insert t values (1)\n',
      'insert t values (1)\n',
    ]);
    assert.ok(fake.log.slice(1).every((e) => e.kind === 'batch'));
  });

  test('a failing batch stops the script; the error names the script line and stays classifiable', async () => {
    const { session, fake } = await open(
      route([/update/, { error: serverError('Lock request time out period exceeded.', 1222) }]),
    );
    const script = 'select 1\nGO\n\nselect 2\nupdate t set x = 1\nGO\nselect 3';
    await assert.rejects(session.runScript(script), (err) => {
      assert.ok(err instanceof ScriptBatchError);
      assert.equal(
        err.message,
        'GO batch 2 of 3 (from script line 3), failed at script line 4: Lock request time out period exceeded.',
      );
      assert.equal(mssqlAdapter.classifyError(err)?.code, 'LOCK_TIMEOUT');
      return true;
    });
    assert.ok(!fake.sent().includes('select 3'));
  });

  test('a script runs inside the caller’s transaction', async () => {
    const { session, fake } = await open();
    await session.transaction(async (trx) => {
      await session.runScript('create table t (id int)\nGO\ncreate index i on t (id)', trx);
    });
    assert.deepEqual(
      fake.log.slice(1).map((e) => [e.kind, e.inTransaction]),
      [
        ['begin', false],
        ['batch', true],
        ['batch', true],
        ['commit', true],
      ],
    );
  });
});

describe('timeouts', () => {
  test('session scope: SET LOCK_TIMEOUT as a batch, statement timeout as the request timeout', async () => {
    const { session, fake } = await open();
    await session.setTimeouts({ lockTimeoutMs: 100, statementTimeoutMs: 2000 });
    await session.knex.raw('select 1');
    await session.setTimeouts({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
    await session.knex.raw('select 2');
    assert.deepEqual(
      fake.log.slice(1).map((e) => [e.kind, e.sql, e.timeout]),
      [
        ['batch', 'SET LOCK_TIMEOUT 100;', 2000],
        ['sql', 'select 1', 2000],
        ['batch', 'SET LOCK_TIMEOUT -1;', 0],
        ['sql', 'select 2', 0],
      ],
    );
  });

  test('transaction scope: the override ends with the transaction, as SET LOCAL would', async () => {
    const { session, fake } = await open();
    await session.transaction(async (trx) => {
      await session.setTimeouts({ lockTimeoutMs: 50, statementTimeoutMs: 1000 }, trx);
      await trx.raw('select 1');
    });
    await session.knex.raw('select 2');
    assert.deepEqual(
      fake.log.slice(1).map((e) => [e.kind, e.sql, e.timeout]),
      [
        ['begin', 'BEGIN TRANSACTION', 0],
        ['batch', 'SET LOCK_TIMEOUT 50;', 1000],
        ['sql', 'select 1', 1000],
        ['commit', 'COMMIT', 1000],
        ['batch', 'SET LOCK_TIMEOUT 5000;', 0],
        ['sql', 'select 2', 0],
      ],
    );
  });

  test('transaction scope: restored as well when the server aborted the transaction', async () => {
    const { session, fake } = await open(
      route([/boom/, { error: serverError('Deadlock', 1205), abortsTransaction: true }]),
    );
    await assert.rejects(
      session.transaction(async (trx) => {
        await session.setTimeouts({ lockTimeoutMs: 50, statementTimeoutMs: 1000 }, trx);
        await trx.raw('boom');
      }),
      (err) => mssqlAdapter.classifyError(err)?.code === 'DEADLOCK',
    );
    await session.transaction(async (trx) => {
      await trx.raw('select 2');
    });
    const after = fake.log.slice(fake.log.findIndex((e) => e.sql === 'boom') + 1);
    assert.deepEqual(
      after.map((e) => [e.kind, e.sql, e.timeout]),
      [
        ['batch', 'SET LOCK_TIMEOUT 5000;', 0],
        ['begin', 'BEGIN TRANSACTION', 0],
        ['sql', 'select 2', 0],
        ['commit', 'COMMIT', 0],
      ],
    );
  });
});

describe('the pinned connection', () => {
  test('a lost connection is never silently replaced: the lock and settings died with it', async () => {
    const { session, fake } = await open();
    const first = fake.connections[0]!;
    first.connected = false;
    first.__knex__disposed = 'Connection lost - read ECONNRESET';
    await assert.rejects(session.knex.raw('select 1'), (err) => {
      assert.equal((err as { code?: string }).code, RECONNECT_REFUSED);
      assert.equal(mssqlAdapter.classifyError(err)?.code, 'CONNECTION_LOST');
      return true;
    });
    assert.equal(fake.connections.length, 2);
    assert.equal(fake.connections[1]!.closed, true, 'the refused replacement is closed, not leaked');
  });

  test('a request queued on one tenant’s busy connection never runs on another’s, and queued requests keep their order', () => {
    const a = knexFactory({ client: 'mssql', connection: {} });
    const b = knexFactory({ client: 'mssql', connection: {} });
    try {
      hardenMssqlClient(a, new FakeTedious(() => ({})).driver);
      hardenMssqlClient(b, new FakeTedious(() => ({})).driver);
      type Client = { _enqueueRequest(r: unknown, c: unknown): void; _chomp(c: unknown): void };
      const connection = (state: string) => ({
        state: { name: state },
        ran: [] as string[],
        execSql(r: string) {
          this.ran.push(r);
        },
      });
      const busyA = connection('SentClientRequest');
      const idleB = connection('LoggedIn');
      (a.client as Client)._enqueueRequest('a1', busyA);
      (a.client as Client)._enqueueRequest('a2', busyA);
      (b.client as Client)._chomp(idleB); // knex calls this after every completed request
      assert.deepEqual(idleB.ran, [], "tenant A's request ran on tenant B's connection");
      busyA.state.name = 'LoggedIn';
      (a.client as Client)._chomp(busyA);
      (a.client as Client)._chomp(busyA);
      assert.deepEqual(busyA.ran, ['a1', 'a2']);
    } finally {
      void a.destroy();
      void b.destroy();
    }
  });

  test('a login error keeps the server messages that came before it (4060 before 18456)', async () => {
    class LoginFails extends EventEmitter {
      connect(callback: (err?: Error) => void) {
        this.emit('errorMessage', {
          number: 4060,
          message: 'Cannot open database "acme" requested by the login. The login failed.',
        });
        this.emit('errorMessage', { number: 18456, message: "Login failed for user 'app'." });
        callback(Object.assign(new Error("Login failed for user 'app'."), { code: 'ELOGIN' }));
      }
    }
    const driver = withLoginDiagnostics({
      Connection: LoginFails,
      Request: FakeRequest,
    } as unknown as TediousLike);
    const connection = new driver.Connection({}) as LoginFails;
    const err = await new Promise<Error | undefined>((resolve) => connection.connect(resolve));
    assert.equal(classifyMssqlError(err)?.code, 'DATABASE_NOT_FOUND');
    assert.equal(connection.listenerCount('errorMessage'), 0, 'no listener left behind');
  });
});

const serverRow = (engineEdition: number, edition: string) => ({
  product_version: '16.0.4135.4',
  edition,
  engine_edition: engineEdition,
  default_data_path: '/var/opt/mssql/data/',
  default_log_path: '/var/opt/mssql/log/',
  default_backup_path: null,
});
const SERVER_INFO = /SERVERPROPERTY\('Edition'\)/;
const ordersSpec: IndexSpec = {
  name: 'ix',
  table: 'orders',
  columns: [{ kind: 'column', name: 'a' }],
  unique: false,
};

describe('optimizer driver', () => {
  test("tables resolve in a schema tenant's schema; the build is offline, with its warning, where the edition requires", async () => {
    const { session, fake } = await open(
      route(
        [
          /OBJECT_ID\(N'\[tenant_b\]\.\[orders\]'\)/,
          { rows: [{ schema_name: 'tenant_b', table_name: 'orders', column_name: 'id', key_ordinal: 1 }] },
        ],
        [SERVER_INFO, { rows: [serverRow(2, 'Standard Edition (64-bit)')] }],
      ),
      tenant({ id: 'b', schema: 'tenant_b', database: 'shared' }),
    );
    const table = await mssqlOptimizer.describeTable(session.knex, 'orders');
    assert.deepEqual(table, { schema: 'tenant_b', name: 'orders', primaryKey: ['id'] });
    const sql = mssqlOptimizer.createIndexSql(ordersSpec, table!);
    assert.equal(
      sql,
      '-- Standard Edition (64-bit) (EngineEdition 2) cannot build indexes online: ix is built offline and blocks writes to [tenant_b].[orders] until it is done\nCREATE NONCLUSTERED INDEX [ix] ON [tenant_b].[orders] ([a]);',
    );
    await mssqlOptimizer.createIndex(session.knex, ordersSpec, table!);
    assert.equal(fake.sent().at(-1), sql);
    assert.equal(await mssqlOptimizer.describeTable(session.knex, 'missing'), undefined);
  });

  test('Enterprise builds online; a rebuild replaces the index in place with DROP_EXISTING', async () => {
    const { session, fake } = await open(
      route(
        [
          /OBJECT_ID\(N'\[orders\]'\)/,
          { rows: [{ schema_name: 'dbo', table_name: 'orders', column_name: 'id', key_ordinal: 1 }] },
        ],
        [SERVER_INFO, { rows: [serverRow(3, 'Developer Edition (64-bit)')] }],
        [
          /FROM sys\.indexes AS i/,
          { rows: [{ table_name: 'orders', type_desc: 'NONCLUSTERED', column_name: 'b', key_ordinal: 1 }] },
        ],
      ),
    );
    const table = (await mssqlOptimizer.describeTable(session.knex, 'orders'))!;
    assert.equal(
      mssqlOptimizer.createIndexSql(ordersSpec, table),
      'CREATE NONCLUSTERED INDEX [ix] ON [dbo].[orders] ([a]) WITH (ONLINE = ON);',
    );
    await mssqlOptimizer.rebuildIndex(session.knex, ordersSpec, table);
    assert.equal(
      fake.sent().at(-1),
      'CREATE NONCLUSTERED INDEX [ix] ON [dbo].[orders] ([a]) WITH (DROP_EXISTING = ON, ONLINE = ON);',
    );
    await mssqlOptimizer.dropIndex(session.knex, ordersSpec, table);
    assert.equal(fake.sent().at(-1), 'DROP INDEX IF EXISTS [ix] ON [dbo].[orders];');
  });

  test('inspecting: missing, matching (filter as the server spells it), disabled, on another table', async () => {
    const table = { schema: 'dbo', name: 'orders', primaryKey: ['id'] };
    const filtered: IndexSpec = { ...ordersSpec, where: 'deleted_at IS NULL' };
    const row = {
      table_name: 'orders',
      type_desc: 'NONCLUSTERED',
      is_unique: false,
      is_disabled: false,
      column_name: 'a',
      key_ordinal: 1,
    };
    let indexRows: Record<string, unknown>[] = [];
    const { session, fake } = await open(
      route(
        [/#dbfleet_index_probe/, { rows: [{ filter_definition: '([deleted_at] IS NULL)' }] }],
        [/FROM sys\.indexes AS i/, () => ({ rows: indexRows })],
      ),
    );
    assert.deepEqual(await mssqlOptimizer.inspectIndex(session.knex, filtered, table), { exists: false });
    indexRows = [{ ...row, filter_definition: '([deleted_at] IS NULL)' }];
    assert.deepEqual(await mssqlOptimizer.inspectIndex(session.knex, filtered, table), {
      exists: true,
      table: 'orders',
      valid: true,
      matches: true,
      definition: 'ON orders NONCLUSTERED ([a]) WHERE ([deleted_at] IS NULL)',
      wanted: 'ON orders NONCLUSTERED ([a]) WHERE ([deleted_at] IS NULL)',
    });
    assert.ok(
      fake
        .sent()
        .some((sql) =>
          sql.includes(
            'CREATE INDEX [dbfleet_probe] ON #dbfleet_index_probe ([a]) WHERE (deleted_at IS NULL);',
          ),
        ),
    );
    indexRows = [{ ...row, is_disabled: true, filter_definition: null }];
    const disabled = await mssqlOptimizer.inspectIndex(session.knex, ordersSpec, table);
    assert.equal(disabled.exists && disabled.valid, false);
    assert.equal(disabled.exists && disabled.matches, true);
    indexRows = [{ ...row, table_name: 'invoices', filter_definition: null }];
    const elsewhere = await mssqlOptimizer.inspectIndex(session.knex, ordersSpec, table);
    assert.equal(elsewhere.exists && elsewhere.matches, false);
    assert.equal(elsewhere.exists && elsewhere.table, 'invoices');
  });

  test('batched delete: one keyset statement through knex, the author’s bindings first, the cursor handed back as text', async () => {
    const { session, fake } = await open(
      route(
        [
          /FROM sys\.columns AS c/,
          {
            rows: [
              {
                column_name: 'id',
                type_name: 'bigint',
                max_length: 8,
                precision: 19,
                scale: 0,
                collation_name: null,
              },
            ],
          },
        ],
        [/DELETE FROM batch/, { rows: [{ deleted: 2, k0: '17' }] }],
      ),
    );
    const query = {
      table: { schema: 'dbo', name: 'events', primaryKey: ['id'] },
      key: ['id'],
      where: 'created < ?',
      bindings: ['2020-01-01'],
    };
    const result = await session.transaction((trx) =>
      mssqlOptimizer.deleteBatch(trx, { ...query, after: ['10'], limit: 500 }),
    );
    assert.deepEqual(result, { scanned: 2, deleted: 2, lastKey: ['17'] });
    const deletion = fake.log.find((e) => /DELETE FROM batch/.test(e.sql))!;
    assert.equal(deletion.kind, 'sql');
    assert.equal(deletion.inTransaction, true);
    assert.match(
      deletion.sql,
      /SELECT TOP \(500\) \* FROM \[dbo\]\.\[events\]\n {2}WHERE \(created < @p0\) AND \(\[id\] > CONVERT\(bigint, @p1\)\)\n/,
    );
    assert.deepEqual(deletion.parameters, ['2020-01-01', '10']);
    const none = await open(
      route(
        [
          /FROM sys\.columns AS c/,
          { rows: [{ column_name: 'id', type_name: 'int', max_length: 4, precision: 10, scale: 0 }] },
        ],
        [/DELETE FROM batch/, { rows: [{ deleted: 0, k0: null }] }],
      ),
    );
    const end = await none.session.transaction((trx) =>
      mssqlOptimizer.deleteBatch(trx, { ...query, limit: 500 }),
    );
    assert.deepEqual(end, { scanned: 0, deleted: 0 });
  });

  test('counting matches uses the author’s bindings', async () => {
    const { session, fake } = await open(route([/COUNT_BIG/, { rows: [{ n: '42' }] }]));
    const n = await mssqlOptimizer.countMatching(session.knex, {
      table: { schema: 'dbo', name: 'events', primaryKey: ['id'] },
      key: ['id'],
      where: 'kind = ?',
      bindings: ['tmp'],
    });
    assert.equal(n, 42);
    assert.deepEqual(fake.log.at(-1)?.parameters, ['tmp']);
  });

  test('statistics: every table, or only the modified ones; unknown tables are named', async () => {
    const candidates = [
      { schema_name: 'dbo', table_name: 'a', modified: 1 },
      { schema_name: 'dbo', table_name: 'b', modified: 0 },
    ];
    const { session, fake } = await open(route([/dm_db_stats_properties/, { rows: candidates }]));
    assert.deepEqual(await mssqlOptimizer.analyze(session.knex, { onlyModified: false }), ['a', 'b']);
    assert.deepEqual(await mssqlOptimizer.analyze(session.knex, { onlyModified: true }), ['a']);
    assert.deepEqual(
      fake.sent().filter((s) => s.startsWith('UPDATE STATISTICS')),
      ['UPDATE STATISTICS [dbo].[a];', 'UPDATE STATISTICS [dbo].[b];', 'UPDATE STATISTICS [dbo].[a];'],
    );
    await assert.rejects(
      mssqlOptimizer.analyze(session.knex, { tables: ['a', 'zz'], onlyModified: false }),
      /no table "zz"/,
    );
  });
});

describe('backup driver', () => {
  const catalogRoutes: [RegExp, Reply][] = [
    [
      /t\.temporal_type/,
      { rows: [{ schema_name: 'dbo', table_name: 'orders', temporal_type: 0, is_memory_optimized: false }] },
    ],
    [/COUNT_BIG\(\*\) AS n FROM \[/, { rows: [{ i: 0, n: '3' }] }],
  ];
  let dir = '';
  const workDir = async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbfleet-mssql-'));
    return dir;
  };
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const ctxOf = (session: TenantSession, t: Tenant, work: string): BackupContext => ({
    tenant: t,
    session: async () => session,
    releaseSession: async () => {},
    secondConnection: (fn) => fn(),
    sessionOptions: options,
    signal: new AbortController().signal,
    tools: {},
    workDir: work,
  });

  test('BACKUP to the path as the server sees it, compressed where the edition can; fingerprint of the same database', async () => {
    const work = await workDir();
    const path = join(work, 'acme.bak');
    await writeFile(path, '');
    const t = tenant({
      connection: { ...tenant().connection, backupPathOnServer: { local: work, server: 'D:\\sqlbackups' } },
    });
    const { session, fake } = await open(
      route(
        [SERVER_INFO, { rows: [serverRow(3, 'Developer Edition (64-bit)')] }],
        [
          /^BACKUP DATABASE/,
          () => {
            writeFileSync(path, 'TAPE and the rest'); // the server writing into the shared directory
            return {};
          },
        ],
        ...catalogRoutes,
      ),
      t,
    );
    const result = await mssqlBackupDriver.backup(ctxOf(session, t, work), path, 'counts');
    assert.equal(
      fake.sent().find((s) => s.startsWith('BACKUP')),
      "BACKUP DATABASE [acme] TO DISK = N'D:\\sqlbackups\\acme.bak' WITH CHECKSUM, COPY_ONLY, INIT, FORMAT, COMPRESSION;",
    );
    assert.equal(
      fake.log.find((e) => e.sql.startsWith('BACKUP'))?.timeout,
      0,
      'a backup has no request timeout',
    );
    assert.equal(result.tool, 'sqlserver');
    assert.equal(result.toolVersion, '16.0.4135.4');
    assert.deepEqual(Object.keys(result.fingerprint.tables), ['dbo.orders']);
    assert.equal(result.fingerprint.tables['dbo.orders']?.rows, 3);
  });

  test('a backup the server wrote where dbfleet cannot see it is a clear error', async () => {
    const work = await workDir();
    const path = join(work, 'acme.bak');
    await writeFile(path, '');
    const { session } = await open(route([SERVER_INFO, { rows: [serverRow(3, 'Developer Edition')] }]));
    await assert.rejects(mssqlBackupDriver.backup(ctxOf(session, tenant(), work), path, 'schema'), (err) => {
      assert.ok(err instanceof TenantError);
      assert.equal(err.code, 'BACKUP_PATH_NOT_SHARED');
      return true;
    });
    assert.equal(existsSync(path), false, 'the empty placeholder made way for the server’s file');
  });

  test('no BACKUP TO DISK on Azure SQL Database; device errors keep their explanation', async () => {
    const work = await workDir();
    const azure = await open(route([SERVER_INFO, { rows: [serverRow(5, 'SQL Azure')] }]));
    await assert.rejects(
      mssqlBackupDriver.backup(ctxOf(azure.session, tenant(), work), join(work, 'a.bak'), 'schema'),
      (err) => {
        assert.equal((err as TenantError).code, 'BACKUP_UNSUPPORTED');
        return true;
      },
    );
    assert.ok(!azure.fake.sent().some((s) => s.startsWith('BACKUP')));
    const denied = new AggregateError([
      serverError("Cannot open backup device '/x/a.bak'. Operating system error 5(Access is denied.).", 3201),
      serverError('BACKUP DATABASE is terminating abnormally.', 3013),
    ]);
    const failing = await open(
      route([SERVER_INFO, { rows: [serverRow(2, 'Standard Edition')] }], [/^BACKUP/, { error: denied }]),
    );
    await assert.rejects(
      mssqlBackupDriver.backup(ctxOf(failing.session, tenant(), work), join(work, 'b.bak'), 'schema'),
      (err) => {
        assert.equal((err as TenantError).code, 'BACKUP_DEVICE');
        assert.match((err as Error).message, /service account needs access/);
        return true;
      },
    );
  });

  test('light check: an MTF file, verified with its checksums, holding one full backup of this database', async () => {
    const work = await workDir();
    const good = join(work, 'good.bak');
    const bogus = join(work, 'bogus.bak');
    await writeFile(good, 'TAPE…');
    await writeFile(bogus, 'PGDMP');
    let header = [{ DatabaseName: 'acme', BackupType: 1 }];
    const { session, fake } = await open(route([/^RESTORE HEADERONLY/, () => ({ rows: header })]));
    const ctx = ctxOf(session, tenant(), work);
    const info = {
      fingerprint: assembleFingerprint('schema', {
        tables: [],
        columns: [],
        indexes: [],
        constraints: [],
        objects: [],
      }),
      tool: 'sqlserver',
      toolVersion: '16',
      serverVersion: '16',
    };
    assert.deepEqual(await mssqlBackupDriver.inspect(ctx, good, info), { problems: [], missingTables: [] });
    assert.ok(fake.sent().includes(`RESTORE VERIFYONLY FROM DISK = N'${good}' WITH CHECKSUM;`));
    header = [{ DatabaseName: 'other', BackupType: 5 }];
    assert.deepEqual((await mssqlBackupDriver.inspect(ctx, good, info)).problems, [
      'the file is a backup of database other, not acme',
      'the file holds backup type 5, not a full backup',
    ]);
    const before = fake.log.length;
    assert.deepEqual((await mssqlBackupDriver.inspect(ctx, bogus, info)).problems, [
      'not a SQL Server backup file (no Microsoft Tape Format header)',
    ]);
    assert.equal(fake.log.length, before, 'a non-backup file is rejected without asking the server');
  });

  test('restore over the tenant: refused for schema tenants and for objects the backup lacks; otherwise from master, lock given back and retaken', async () => {
    const work = await workDir();
    const schemaTenant = tenant({ id: 'b', schema: 'b', database: 'shared' });
    const shared = await open(undefined, schemaTenant);
    const emptyInfo = {
      fingerprint: assembleFingerprint('schema', {
        tables: [],
        columns: [],
        indexes: [],
        constraints: [],
        objects: [],
      }),
      tool: 'sqlserver',
      toolVersion: '16',
      serverVersion: '16',
    };
    await assert.rejects(
      mssqlBackupDriver.restore(ctxOf(shared.session, schemaTenant, work), join(work, 'x.bak'), emptyInfo, {
        dropUnexpected: true,
      }),
      (err) => (err as TenantError).code === 'RESTORE_UNSUPPORTED',
    );

    const { session, fake } = await open(
      route(...catalogRoutes, [/sp_getapplock|sp_releaseapplock/, { rows: [{ result: 0 }] }]),
    );
    const ctx = ctxOf(session, tenant(), work);
    await assert.rejects(
      mssqlBackupDriver.restore(ctx, join(work, 'x.bak'), emptyInfo, { dropUnexpected: false }),
      (err) => {
        assert.equal((err as TenantError).code, 'RESTORE_UNEXPECTED_OBJECTS');
        assert.match((err as Error).message, /dbo\.orders/);
        return true;
      },
    );
    assert.ok(!fake.sent().includes('USE master;'), 'nothing was changed');

    assert.equal(await session.tryLock(0), true);
    const first = fake.log.length;
    await mssqlBackupDriver.restore(ctx, join(work, 'x.bak'), emptyInfo, { dropUnexpected: true });
    const label = (sql: string) =>
      sql.includes('sp_releaseapplock')
        ? 'release the lock'
        : sql.includes('sp_getapplock')
          ? 'take the lock'
          : sql;
    const steps = fake.log
      .slice(first)
      .map((e) => e.sql)
      .filter((sql) => !sql.trimStart().startsWith('SELECT')) // the fingerprint's catalog reads
      .map(label);
    assert.deepEqual(steps, [
      'release the lock',
      'USE master;',
      restoreOverSql('acme', join(work, 'x.bak')),
      multiUserAgainSql('acme'),
      'USE [acme];',
      'take the lock',
    ]);
  });

  test('scratch copies: owned by an application lock, restored with every file moved, checked, dropped; sweeps skip live ones', async () => {
    const work = await workDir();
    const own = scratchPrefix(tenant());
    const locks = new Map([[`${own}1`, -1]]);
    const { session, fake } = await open(
      route(
        [SERVER_INFO, { rows: [serverRow(3, 'Developer Edition')] }],
        [
          /sp_getapplock @Resource = N'dbfleet:scratch:(\w+)'/,
          (sql) => ({ rows: [{ result: locks.get(/scratch:(\w+)'/.exec(sql)![1]!) ?? 0 }] }),
        ],
        [/sp_releaseapplock/, { rows: [{ result: 0 }] }],
        [
          /^RESTORE FILELISTONLY/,
          {
            rows: [
              { LogicalName: 'acme', PhysicalName: '/d/acme.mdf', Type: 'D' },
              { LogicalName: 'acme_log', PhysicalName: '/d/acme_log.ldf', Type: 'L' },
            ],
          },
        ],
        [/^DBCC CHECKDB/, { error: serverError('Table error: object ID 5 … (Msg 8928)', 8928) }],
        [
          /FROM sys\.databases/,
          {
            // Another fleet's acme (another database) has its own names: never swept from here.
            rows: [
              `${own}1`,
              `${own}2`,
              `${own}x_3`,
              `${scratchPrefix(tenant({ database: 'acme_prod' }))}4`,
            ].map((name) => ({ name })),
          },
        ],
      ),
    );
    const ctx = ctxOf(session, tenant(), work);
    const scratch = await mssqlBackupDriver.createScratch(ctx);
    assert.match(scratch.name, new RegExp(`^${own}\\d+$`));
    assert.ok(fake.sent().includes(`CREATE DATABASE [${scratch.name}];`));
    await scratch.restore(join(work, 'acme.bak'), {} as ArchiveInfo);
    const restore = fake.sent().find((s) => s.startsWith('RESTORE DATABASE'))!;
    assert.equal(
      restore,
      `RESTORE DATABASE [${scratch.name}] FROM DISK = N'${join(work, 'acme.bak')}' WITH MOVE N'acme' TO N'/var/opt/mssql/data/${scratch.name}_0_acme.mdf', MOVE N'acme_log' TO N'/var/opt/mssql/log/${scratch.name}_1_acme_log.ldf', CHECKSUM, RECOVERY, REPLACE;`,
    );
    const problems = await scratch.integrityCheck();
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /DBCC CHECKDB on the restored copy: Table error/);
    await scratch.fingerprint('schema');
    assert.ok(fake.sent().some((s) => s.includes(`FROM [${scratch.name}].sys.tables AS t`)));
    await scratch.drop();
    assert.ok(fake.sent().includes(dropScratchSql(scratch.name)));
    assert.match(
      fake.sent().at(-1) ?? '',
      new RegExp(`sp_releaseapplock @Resource = N'dbfleet:scratch:${scratch.name}'`),
    );

    assert.deepEqual(await mssqlBackupDriver.sweepScratch(ctx), [`${own}2`]);
    assert.ok(fake.sent().includes(dropScratchSql(`${own}2`)));
    assert.ok(!fake.sent().includes(dropScratchSql(`${own}1`)), 'a live run owns _1');
  });
});
