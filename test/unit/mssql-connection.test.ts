import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { backupPathMapOf, serverBackupPath } from '../../src/dialect/mssql/backup-path.js';
import { parseMssqlConnection } from '../../src/dialect/mssql/connection.js';
import { mssqlAdapter } from '../../src/dialect/mssql/index.js';

describe('SQL Server connection strings', () => {
  test('a full URL becomes the knex/tedious object and a credential-free host key', () => {
    const parsed = parseMssqlConnection(
      'mssql://app:s3cr%40t@DB1.example.com:14330/acme?encrypt=true&trustServerCertificate=true',
    );
    assert.deepEqual(parsed, {
      connection: {
        server: 'DB1.example.com',
        user: 'app',
        password: 's3cr@t',
        database: 'acme',
        port: 14330,
        options: { encrypt: true, trustServerCertificate: true },
      },
      host: 'mssql://db1.example.com:14330',
      database: 'acme',
    });
  });

  test('sqlserver:// is accepted; the port defaults to 1433; TLS is on by default', () => {
    const parsed = parseMssqlConnection('sqlserver://sa:pw@localhost/tenant_1');
    assert.equal(parsed.host, 'mssql://localhost:1433');
    assert.deepEqual(parsed.connection.options, { encrypt: true, trustServerCertificate: false });
    assert.equal(parsed.connection.port, 1433);
  });

  test('a named instance (host\\INSTANCE or ?instanceName=) has no port and its own host key', () => {
    const a = parseMssqlConnection('mssql://u:p@db1\\SQLEXPRESS/acme');
    assert.equal(a.host, 'mssql://db1\\sqlexpress');
    assert.equal(a.connection.port, undefined);
    assert.equal((a.connection.options as Record<string, unknown>).instanceName, 'SQLEXPRESS');
    const b = parseMssqlConnection('mssql://u:p@db1/acme?instanceName=SQLEXPRESS');
    assert.equal(b.host, a.host);
    assert.throws(
      () => parseMssqlConnection('mssql://u:p@db1:1433/acme?instanceName=X'),
      /either a port or an instance name/,
    );
  });

  test('database names are percent-decoded and may hold anything', () => {
    const parsed = parseMssqlConnection(`mssql://u:p@h/${encodeURIComponent("o'brien]; drop\n")}`);
    assert.equal(parsed.database, "o'brien]; drop\n");
  });

  test('options: booleans, integers, NTLM domain; unknown options are named', () => {
    const parsed = parseMssqlConnection(
      'mssql://u:p@h/db?connectTimeout=5000&requestTimeout=0&readOnlyIntent=yes&domain=CORP&appName=x',
    );
    assert.deepEqual(parsed.connection.options, {
      encrypt: true,
      trustServerCertificate: false,
      connectTimeout: 5000,
      requestTimeout: 0,
      readOnlyIntent: true,
      appName: 'x',
    });
    assert.equal(parsed.connection.type, 'ntlm');
    assert.equal(parsed.connection.domain, 'CORP');
    assert.throws(
      () => parseMssqlConnection('mssql://u:p@h/db?encrypt=maybe'),
      /encrypt must be true or false/,
    );
    assert.throws(() => parseMssqlConnection('mssql://u:p@h/db?connectTimeout=-1'), /non-negative integer/);
    assert.throws(
      () => parseMssqlConnection('mssql://u:p@h/db?sslmode=require'),
      /unknown connection option "sslmode"/,
    );
  });

  test('problems are named', () => {
    const cases: [string, RegExp][] = [
      ['postgres://u:p@h/db', /must start with mssql:\/\/ or sqlserver:\/\//],
      ['mssql://u:p@h', /names no database/],
      ['mssql://u:p@h:99999/db', /invalid port/],
      ['mssql://u:p@h:abc/db', /invalid port/],
      ['mssql://u:p@/db', /names no server/],
      ['mssql://u:p@bad host/db', /invalid server name/],
      ['mssql://u:%E0%A4%A@h/db', /password in the connection URL is not valid percent-encoding/],
      [`mssql://u:p@h/${'x'.repeat(129)}`, /longer than 128/],
    ];
    for (const [input, expected] of cases) assert.throws(() => parseMssqlConnection(input), expected, input);
  });
});

describe('SQL Server connection objects', () => {
  test('server or host, top-level or options fields, normalized to one shape', () => {
    const parsed = parseMssqlConnection({
      host: 'db2',
      user: 'app',
      password: 'pw',
      options: { database: 'acme', port: '1500', encrypt: false, trustServerCertificate: true },
    });
    assert.deepEqual(parsed, {
      connection: {
        server: 'db2',
        user: 'app',
        password: 'pw',
        database: 'acme',
        port: 1500,
        options: { encrypt: false, trustServerCertificate: true },
      },
      host: 'mssql://db2:1500',
      database: 'acme',
    });
  });

  test('contradictions and missing pieces are errors', () => {
    assert.throws(() => parseMssqlConnection({ server: 'a', host: 'b', database: 'd' }), /given twice/);
    assert.throws(
      () => parseMssqlConnection({ server: 'a', database: 'd', port: 1, options: { port: 2 } }),
      /port is given twice/,
    );
    assert.throws(() => parseMssqlConnection({ database: 'd' }), /names no server/);
    assert.throws(() => parseMssqlConnection({ server: 'a' }), /names no database/);
    assert.throws(
      () => parseMssqlConnection({ server: 'a', database: 'd', options: [] as unknown as object }),
      /options must be an object/,
    );
    assert.throws(
      () => parseMssqlConnection({ server: 'a', database: 'd', connectionString: 'x' }),
      /not connectionString/,
    );
    assert.throws(
      () => parseMssqlConnection({ server: 'a', database: 'd', backupPathOnServer: { local: '/x' } }),
      /backupPathOnServer must be/,
    );
  });

  test('the adapter uses this parser', () => {
    assert.equal(mssqlAdapter.parseConnection('mssql://u:p@h/db').host, 'mssql://h:1433');
  });
});

describe('no message ever contains the password', () => {
  const password = fc.string({ minLength: 6, maxLength: 16 }).map((s) => `Pw-${s}-${s.length}`);
  test('malformed URLs and objects, whatever the password', () => {
    fc.assert(
      fc.property(password, (pw) => {
        const encoded = encodeURIComponent(pw);
        const inputs: (string | Record<string, unknown>)[] = [
          `mssql://sa:${encoded}@h:99999/db`,
          `mssql://sa:${encoded}/db`, // '@' forgotten: the password lands where the port goes
          `mssql://sa:${encoded}@h`,
          `mssql://sa:${encoded}@h/db?bogus=1`,
          `mssql://sa:${encoded}@h/db?encrypt=nope`,
          `mssql://sa:${encoded}@/db`,
          `mssql://sa:${encoded}%ZZ@h/db`,
          { server: 'h', password: pw },
          { server: 'h', password: pw, database: 'd', port: 'x' },
          { server: `h:${pw}`, password: pw, database: 'd' },
        ];
        for (const input of inputs) {
          try {
            parseMssqlConnection(input as string);
            assert.fail(`expected ${JSON.stringify(input)} to be rejected`);
          } catch (err) {
            const message = (err as Error).message;
            assert.ok(!message.includes(pw) && !message.includes(encoded), `password leaked in: ${message}`);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('backup paths as the SQL Server host sees them', () => {
  test('same path by default; mapped by prefix onto a Windows or POSIX directory', () => {
    assert.equal(serverBackupPath('/mnt/b/acme/x.bak'), '/mnt/b/acme/x.bak');
    assert.equal(
      serverBackupPath('/mnt/b/acme/x.bak', { local: '/mnt/b/', server: 'D:\\sqlbackups\\' }),
      'D:\\sqlbackups\\acme\\x.bak',
    );
    assert.equal(
      serverBackupPath('/mnt/b/acme/x.bak', { local: '/mnt/b', server: '/var/opt/mssql/backup' }),
      '/var/opt/mssql/backup/acme/x.bak',
    );
    assert.throws(
      () => serverBackupPath('/elsewhere/x.bak', { local: '/mnt/b', server: '/s' }),
      /outside \/mnt\/b/,
    );
  });

  test('the mapping is validated', () => {
    assert.equal(backupPathMapOf({}), undefined);
    assert.deepEqual(backupPathMapOf({ backupPathOnServer: { local: '/a', server: 'B:\\' } }), {
      local: '/a',
      server: 'B:\\',
    });
    assert.throws(() => backupPathMapOf({ backupPathOnServer: 'x' }), /must be \{ local/);
  });
});
