import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePostgresConnection } from '../../src/dialect/postgres/connection.js';

test('a URL database name is fully percent-decoded (=, /, ? and spaces are legal in names)', () => {
  assert.equal(parsePostgresConnection('postgres://u:p@db1/a%3Db%20c%2Fd').database, 'a=b c/d');
});

test('host key carries no credentials; default port 5432', () => {
  const parsed = parsePostgresConnection('postgresql://app:s3cret@db1/acme');
  assert.equal(parsed.host, 'postgres://db1:5432');
  assert.equal(parsed.connection.password, 's3cret');
  assert.ok(!parsed.host.includes('s3cret'));
});

test('objects are accepted; a missing database or a bad port is an error naming it', () => {
  assert.equal(parsePostgresConnection({ host: 'db2', database: 'globex' }).host, 'postgres://db2:5432');
  assert.throws(() => parsePostgresConnection({ host: 'db2' }), /names no database/);
  assert.throws(() => parsePostgresConnection({ host: 'db2', database: 'x', port: 70000 }), /invalid port/);
  assert.throws(() => parsePostgresConnection('mysql://x/y'), /must start with postgres/);
});
