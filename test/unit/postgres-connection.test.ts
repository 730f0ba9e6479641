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

// pg — and so knex — fills what a connection leaves out from libpq's variables: a knexfile relying on them
// must reach the same server here (it reached localhost:5432 instead, and migrated another database).
test('host, port and database a connection leaves out come from PGHOST, PGPORT and PGDATABASE', () => {
  const saved = {
    PGHOST: process.env.PGHOST,
    PGPORT: process.env.PGPORT,
    PGDATABASE: process.env.PGDATABASE,
  };
  Object.assign(process.env, { PGHOST: 'db9.internal', PGPORT: '6432', PGDATABASE: 'from_env' });
  try {
    const parsed = parsePostgresConnection({ user: 'app' });
    assert.equal(parsed.host, 'postgres://db9.internal:6432');
    assert.equal(parsed.database, 'from_env');
    assert.deepEqual(
      [parsed.connection.host, parsed.connection.port, parsed.connection.database],
      ['db9.internal', 6432, 'from_env'],
    );
    // What the connection says wins over the variables.
    const own = parsePostgresConnection('postgres://app@db1:5433/acme');
    assert.equal(own.host, 'postgres://db1:5433');
    assert.equal(own.database, 'acme');
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
