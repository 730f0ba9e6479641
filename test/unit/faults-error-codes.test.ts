// Connection-capacity and client-side connection failures get codes of their own, so the fleet
// run can queue a tenant instead of failing it, and a report says what happened.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyMssqlError } from '../../src/dialect/mssql/errors.js';
import { classifyPostgresError } from '../../src/dialect/postgres/errors.js';
import { ConnectionStalledError, ConnectTimeoutError } from '../../src/dialect/postgres/stall-watchdog.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('PostgreSQL', () => {
  test('53300 (a server, role or database connection limit) is TOO_MANY_CONNECTIONS', () => {
    for (const message of [
      'sorry, too many clients already',
      'too many connections for role "app"',
      'remaining connection slots are reserved for non-replication superuser connections',
    ])
      assert.equal(classifyPostgresError(pgError('53300', message))?.code, 'TOO_MANY_CONNECTIONS');
  });

  test("PgBouncer's 08P01 for the start-up options is POOLED_CONNECTION; another 08P01 is not", () => {
    const pooler = classifyPostgresError(pgError('08P01', 'unsupported startup parameter: options'));
    assert.equal(pooler?.code, 'POOLED_CONNECTION');
    assert.match(pooler?.message ?? '', /PostgreSQL server itself/);
    assert.equal(classifyPostgresError(pgError('08P01', 'invalid frontend message type 0')), undefined);
  });

  test('57P03 (starting up, shutting down, in recovery) is SERVER_UNAVAILABLE', () => {
    const err = pgError('57P03', 'the database system is starting up');
    assert.equal(classifyPostgresError(err)?.code, 'SERVER_UNAVAILABLE');
  });

  test("dbfleet's own stall and connect-timeout errors keep their code and message", () => {
    const stalled = new ConnectionStalledError('the connection to db1:5432 stopped answering');
    assert.deepEqual(classifyPostgresError(stalled), {
      code: 'CONNECTION_STALLED',
      message: 'the connection to db1:5432 stopped answering',
    });
    assert.equal(classifyPostgresError(new ConnectTimeoutError('x'))?.code, 'CONNECT_TIMEOUT');
  });
});

describe('SQL Server', () => {
  const tedious = (message: string, number: number) =>
    Object.assign(new Error(message), { code: 'EREQUEST', number });

  test('17809 (user connections used up) is TOO_MANY_CONNECTIONS', () => {
    const err = Object.assign(
      new Error(
        "Could not connect because the maximum number of '10' user connections has already been reached.",
      ),
      { code: 'ELOGIN', number: 17809 },
    );
    assert.equal(classifyMssqlError(err)?.code, 'TOO_MANY_CONNECTIONS');
  });

  test("10928 / 10936 (Azure SQL's session and request limits) are TOO_MANY_CONNECTIONS", () => {
    assert.equal(
      classifyMssqlError(
        tedious('Resource ID : 2. The session limit for the database is 300 and has been reached.', 10928),
      )?.code,
      'TOO_MANY_CONNECTIONS',
    );
    assert.equal(
      classifyMssqlError(
        tedious(
          'Resource ID : 1. The request limit for the elastic pool is 200 and has been reached.',
          10936,
        ),
      )?.code,
      'TOO_MANY_CONNECTIONS',
    );
  });

  test('a login failure stays AUTH_FAILED', () => {
    assert.equal(classifyMssqlError(tedious("Login failed for user 'app'.", 18456))?.code, 'AUTH_FAILED');
  });
});
