// The request timeout (SQL Server's stand-in for a statement timeout) when a session's timeouts change:
// an explicit "no statement limit" (an index build's 0) means no request timeout at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawConnection, RequestConstructor } from '../../src/dialect/mssql/raw-connection.js';
import { SessionTimeouts } from '../../src/dialect/mssql/session-timeouts.js';

/** A connection that answers every batch at once, and the request timeout each batch started under. */
function fakeConnection() {
  const started: { sql: string; requestTimeout: number | undefined }[] = [];
  const connection = {
    inTransaction: false,
    config: { options: {} as { requestTimeout?: number } },
    execSqlBatch(request: { sql: string; callback: (err: null, rowCount: number) => void }) {
      started.push({ sql: request.sql, requestTimeout: connection.config.options.requestTimeout });
      setImmediate(() => request.callback(null, 0));
    },
    execSql() {},
    beginTransaction(callback: () => void) {
      callback();
    },
    close() {},
  };
  class Request {
    constructor(
      readonly sql: string,
      readonly callback: (err: null, rowCount: number) => void,
    ) {}
    on() {}
    setTimeout() {}
  }
  return {
    connection: connection as unknown as RawConnection,
    Request: Request as unknown as RequestConstructor,
  };
}

const run = { lockTimeoutMs: 5000, statementTimeoutMs: 600_000 };
const indexBuild = { lockTimeoutMs: 5000, statementTimeoutMs: 0 };

test('an index build’s statement timeout 0 is no request timeout, not the tenant’s ?requestTimeout=', async () => {
  const { connection, Request } = fakeConnection();
  const timeouts = new SessionTimeouts(run, 60_000);
  await timeouts.apply(connection, Request, indexBuild, 'session');
  assert.equal(connection.config.options.requestTimeout, 0);
  await timeouts.apply(connection, Request, run, 'session');
  assert.equal(connection.config.options.requestTimeout, 600_000, 'the run’s own back afterwards');
});

test('inside a transaction too, and the session’s own come back after it', async () => {
  const { connection, Request } = fakeConnection();
  const timeouts = new SessionTimeouts(run, 60_000);
  timeouts.attach(connection, Request);
  connection.inTransaction = true;
  await timeouts.apply(connection, Request, indexBuild, 'transaction');
  assert.equal(connection.config.options.requestTimeout, 0);
  connection.inTransaction = false;
  await new Promise((resolve) => connection.execSqlBatch(new Request('SELECT 1;', resolve) as never));
  assert.equal(connection.config.options.requestTimeout, 600_000);
});

test('a session opened without a statement timeout keeps the configured request timeout as its own', async () => {
  const { connection, Request } = fakeConnection();
  const unset = { lockTimeoutMs: 5000, statementTimeoutMs: 0 };
  const timeouts = new SessionTimeouts(unset, 60_000);
  await timeouts.apply(connection, Request, { lockTimeoutMs: 100, statementTimeoutMs: 1000 }, 'session');
  assert.equal(connection.config.options.requestTimeout, 1000);
  await timeouts.apply(connection, Request, unset, 'session');
  assert.equal(connection.config.options.requestTimeout, 60_000, 'put back as opened');
});
