// The migration lock (sp_getapplock) against a scripted server that keeps application locks as SQL Server
// does: per resource, compared in binary, owned by a session, waited for up to @LockTimeout.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, describe, test } from 'node:test';
import type { Tenant } from '../../src/core/tenant.js';
import type { ArchiveInfo, BackupContext } from '../../src/dialect/backup-types.js';
import { mssqlBackupDriver } from '../../src/dialect/mssql/backup.js';
import { assembleFingerprint } from '../../src/dialect/mssql/fingerprint.js';
import { mssqlAdapter } from '../../src/dialect/mssql/index.js';
import type { TediousLike } from '../../src/dialect/mssql/raw-connection.js';
import { openMssqlSession } from '../../src/dialect/mssql/session.js';
import type { TenantSession } from '../../src/dialect/types.js';

class Server {
  /** Resource → the connection holding it. */
  readonly locks = new Map<string, object>();
  readonly sent: string[] = [];
  /** Called with every batch before it runs. */
  onBatch: (sql: string) => void = () => {};
  /** sys.databases.name of the tenant's database: what DB_NAME() returns. */
  constructor(readonly databaseName: string) {}

  get driver(): TediousLike {
    const server = this;
    class Request extends EventEmitter {
      constructor(
        readonly sql: string,
        readonly callback: (err?: Error | null, rowCount?: number) => void,
      ) {
        super();
      }
      setTimeout() {}
      addParameter() {}
      cancel() {
        this.emit('cancel');
      }
    }
    class Connection extends EventEmitter {
      state = { name: 'LoggedIn' };
      inTransaction = false;
      config = { options: {} };
      connect(callback: (err?: Error) => void) {
        setImmediate(() => callback());
      }
      execSql(request: Request) {
        this.execSqlBatch(request);
      }
      execSqlBatch(request: Request) {
        server.sent.push(request.sql);
        server.onBatch(request.sql);
        server.run(this, request);
      }
      beginTransaction(callback: () => void) {
        callback();
      }
      close() {
        for (const [resource, owner] of server.locks) if (owner === this) server.locks.delete(resource);
        setImmediate(() => this.emit('end'));
      }
    }
    return { Connection, Request } as unknown as TediousLike;
  }

  /** The resource a lock batch names: the server's own spelling where the batch asks for DB_NAME(). */
  private resourceOf(sql: string): string {
    if (/N'dbfleet:' \+ DB_NAME\(\)/.test(sql)) return `dbfleet:${this.databaseName}`;
    return /@Resource = N'((?:[^']|'')*)'/.exec(sql)![1]!.replace(/''/g, "'");
  }

  private run(
    connection: object,
    request: EventEmitter & { sql: string; callback: (e?: Error | null) => void },
  ) {
    const reply = (row?: Record<string, unknown>) =>
      setImmediate(() => {
        if (row)
          request.emit(
            'row',
            Object.entries(row).map(([colName, value]) => ({ value, metadata: { colName } })),
          );
        request.callback(null);
      });
    if (/sp_releaseapplock/.test(request.sql)) {
      const resource = this.resourceOf(request.sql);
      const mine = this.locks.get(resource) === connection;
      if (mine) this.locks.delete(resource);
      return reply({ result: mine ? 0 : -999 });
    }
    if (!/sp_getapplock/.test(request.sql)) return reply();
    const resource = this.resourceOf(request.sql);
    const wait = Number(/@LockTimeout = (-?\d+)/.exec(request.sql)![1]);
    const started = Date.now();
    const answer = (result: number) =>
      reply(/@resource AS resource/.test(request.sql) ? { result, resource } : { result });
    const attempt = () => {
      const owner = this.locks.get(resource);
      if (owner === undefined || owner === connection) {
        this.locks.set(resource, connection);
        return answer(0);
      }
      if (wait !== -1 && Date.now() - started >= wait) return answer(-1);
      const timer = setTimeout(attempt, 5);
      request.once('cancel', () => {
        clearTimeout(timer);
        setImmediate(() => request.callback(Object.assign(new Error('Canceled.'), { code: 'ECANCEL' })));
      });
    };
    attempt();
  }
}

const sessions: TenantSession[] = [];
after(async () => {
  for (const s of sessions) await s.close().catch(() => {});
});

async function open(server: Server, database: string, over: Partial<Tenant> = {}, lockTimeoutMs = 5000) {
  const parsed = mssqlAdapter.parseConnection(`mssql://app:pw@db1/${database}`);
  const tenant: Tenant = {
    id: 'acme',
    dialect: 'mssql',
    connection: parsed.connection,
    host: parsed.host,
    database,
    tags: [],
    ...over,
  };
  const session = await openMssqlSession(
    tenant,
    { timeouts: { lockTimeoutMs, statementTimeoutMs: 0 } },
    server.driver,
  );
  sessions.push(session);
  return session;
}

describe('the migration lock names the database as the server spells it', () => {
  test('two runners spelling the database differently exclude each other', async () => {
    const server = new Server('Acme');
    const first = await open(server, 'acme');
    const second = await open(server, 'ACME');
    assert.equal(await first.tryLock(0), true);
    assert.equal(await second.tryLock(0), false, 'the same database, so the same lock');
    await first.unlock();
    assert.equal(server.locks.size, 0, 'released under the name it was taken with');
    assert.equal(await second.tryLock(0), true);
  });

  test('spelled as the server does, the resource is the one earlier versions take: they still collide', async () => {
    const server = new Server('acme');
    const current = await open(server, 'acme');
    assert.equal(await current.tryLock(0), true);
    assert.deepEqual([...server.locks.keys()], ['dbfleet:acme']);
  });
});

describe('waiting for the migration lock stops when the run is interrupted', () => {
  test('Ctrl-C while another runner holds it: the wait is cancelled, false at once, nothing left held', async () => {
    const server = new Server('acme');
    const holder = await open(server, 'acme');
    const waiter = await open(server, 'acme');
    assert.equal(await holder.tryLock(0), true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    assert.equal(await waiter.tryLock(3_000, controller.signal), false);
    assert.ok(Date.now() - started < 1_000, `resolved after ${Date.now() - started} ms`);
    assert.ok(
      server.sent.some((sql) => /APPLOCK_MODE/.test(sql)),
      'a grant that crossed the cancel is given back',
    );
    await holder.unlock();
    assert.equal(server.locks.size, 0, 'the cancelled request took nothing');
  });

  test('already interrupted: one try, no wait', async () => {
    const server = new Server('acme');
    const holder = await open(server, 'acme');
    const waiter = await open(server, 'acme');
    assert.equal(await holder.tryLock(0), true);
    const started = Date.now();
    assert.equal(await waiter.tryLock(3_000, AbortSignal.abort()), false);
    assert.ok(Date.now() - started < 1_000, `resolved after ${Date.now() - started} ms`);
    assert.match(server.sent.at(-1) ?? '', /@LockTimeout = 0;/);
  });
});

test('after a rollback restore, lockTimeout 0 ("wait forever") waits for the lock to come back, not one try', async () => {
  const server = new Server('acme');
  const session = await open(server, 'acme', {}, 0);
  assert.equal(await session.tryLock(0), true);
  // Another runner gets in while the database is restored, and is done 100 ms later.
  const other = {};
  server.onBatch = (sql) => {
    if (!/^RESTORE DATABASE|\nRESTORE DATABASE/.test(sql)) return;
    server.locks.set('dbfleet:acme', other);
    setTimeout(() => server.locks.delete('dbfleet:acme'), 100);
  };
  const ctx = {
    tenant: session.tenant,
    session: async () => session,
    sessionOptions: { timeouts: { lockTimeoutMs: 0, statementTimeoutMs: 0 } },
    signal: new AbortController().signal,
  } as unknown as BackupContext;
  const info = {
    fingerprint: assembleFingerprint('schema', {
      tables: [],
      columns: [],
      indexes: [],
      constraints: [],
      objects: [],
    }),
  } as ArchiveInfo;
  await mssqlBackupDriver.restore(ctx, '/b/acme.bak', info, { dropUnexpected: true });
  assert.equal(
    server.locks.get('dbfleet:acme') !== undefined && server.locks.get('dbfleet:acme') !== other,
    true,
  );
  assert.match(server.sent.findLast((sql) => /sp_getapplock/.test(sql)) ?? '', /@LockTimeout = -1;/);
});
