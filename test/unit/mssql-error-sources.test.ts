// Errors are classified by what the driver and the server said, never by the SQL knex puts in front of a
// failed query's message; and a database error means "the tenant's database is missing" only at login.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, describe, test } from 'node:test';
import type { Tenant } from '../../src/core/tenant.js';
import { classifyMssqlError } from '../../src/dialect/mssql/errors.js';
import { mssqlAdapter } from '../../src/dialect/mssql/index.js';
import type { TediousLike } from '../../src/dialect/mssql/raw-connection.js';
import { openMssqlSession } from '../../src/dialect/mssql/session.js';
import type { TenantSession } from '../../src/dialect/types.js';

const tediousError = (message: string, code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { code, ...extra });

/** A tedious stand-in whose requests fail with `fail(sql)` (or succeed with no rows). */
function driver(fail: (sql: string) => Error | undefined): TediousLike {
  class Request extends EventEmitter {
    constructor(
      readonly sqlTextOrProcedure: string,
      readonly callback: (err?: Error | null, rowCount?: number) => void,
    ) {
      super();
    }
    setTimeout() {}
    addParameter() {}
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
      const err = fail(request.sqlTextOrProcedure);
      setImmediate(() => (err ? request.callback(err) : request.callback(null, 0)));
    }
    beginTransaction(callback: () => void) {
      callback();
    }
    close() {
      setImmediate(() => this.emit('end'));
    }
  }
  return { Connection, Request, TYPES: { NVarChar: {}, Int: {} } } as unknown as TediousLike;
}

const sessions: TenantSession[] = [];
after(async () => {
  for (const s of sessions) await s.close().catch(() => {});
});

async function failedQuery(error: () => Error, run: (session: TenantSession) => Promise<unknown>) {
  const parsed = mssqlAdapter.parseConnection('mssql://app:pw@db1/acme');
  const tenant: Tenant = {
    id: 'acme',
    dialect: 'mssql',
    connection: parsed.connection,
    host: parsed.host,
    database: 'acme',
    tags: [],
  };
  const session = await openMssqlSession(
    tenant,
    { timeouts: { lockTimeoutMs: 5000, statementTimeoutMs: 0 } },
    driver((sql) => (/orders|log/.test(sql) ? error() : undefined)),
  );
  sessions.push(session);
  return run(session).then(
    () => assert.fail('the query should have failed'),
    (err: Error) => err,
  );
}

describe('the SQL of a failed query is not read as part of the error', () => {
  test('a request timeout on a query about cancelled orders is TIMEOUT, not STATE_UNKNOWN', async () => {
    const err = await failedQuery(
      () => tediousError('Timeout: Request failed to complete in 600000ms', 'ETIMEOUT'),
      (s) => s.knex('orders').update({ status: 'done' }).whereNull('cancelled_at'),
    );
    assert.match(err.message, /cancelled_at/, 'knex put the SQL in front of the message');
    assert.equal(classifyMssqlError(err)?.code, 'TIMEOUT');
  });

  test('a duplicate key on a row saying "Connection lost" is a failed query, not CONNECTION_LOST', async () => {
    const err = await failedQuery(
      () =>
        tediousError(
          "Violation of PRIMARY KEY constraint 'log_pkey'. Cannot insert duplicate key.",
          'EREQUEST',
          {
            number: 2627,
          },
        ),
      (s) => s.knex.raw("insert into log (id, line) values (1, 'Connection lost')"),
    );
    assert.match(err.message, /Connection lost/, 'knex put the SQL in front of the message');
    assert.equal(classifyMssqlError(err)?.code, 'FAILED');
  });
});

describe('which database errors mean the tenant’s database is missing', () => {
  test('911 from a migration’s own USE [reporting] is a failed migration, not DATABASE_NOT_FOUND', () => {
    const useOther = tediousError(
      "Database 'reporting' does not exist. Make sure that the name is entered correctly.",
      'EREQUEST',
      { number: 911 },
    );
    const info = classifyMssqlError(useOther);
    assert.equal(info?.code, 'FAILED');
    assert.match(info?.message ?? '', /Database 'reporting' does not exist/);
  });

  test('4060 or 911 at login is DATABASE_NOT_FOUND', () => {
    for (const number of [4060, 911]) {
      const login = tediousError("Login failed for user 'app'.", 'ELOGIN', {
        precedingErrors: [
          Object.assign(new Error('Cannot open database "acme" requested by the login.'), { number }),
        ],
      });
      assert.equal(classifyMssqlError(login)?.code, 'DATABASE_NOT_FOUND', String(number));
    }
  });
});

test('18401 (the server in script upgrade mode after an update) is SERVER_UNAVAILABLE, retried, not AUTH_FAILED', () => {
  const reason =
    "Login failed for user 'app'. Reason: Server is in script upgrade mode. Only administrator can connect at this time.";
  const withNumber = tediousError(reason, 'ELOGIN', {
    precedingErrors: [Object.assign(new Error(reason), { number: 18401 })],
  });
  assert.equal(classifyMssqlError(withNumber)?.code, 'SERVER_UNAVAILABLE');
  assert.equal(classifyMssqlError(tediousError(reason, 'ELOGIN'))?.code, 'SERVER_UNAVAILABLE');
  assert.equal(
    classifyMssqlError(tediousError("Login failed for user 'app'.", 'ELOGIN'))?.code,
    'AUTH_FAILED',
  );
});
