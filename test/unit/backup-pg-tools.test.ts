import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { passfileLine, sweepStalePassDirs } from '../../src/dialect/postgres/passfile.js';
import { dbnameArg, literalPattern } from '../../src/dialect/postgres/pg-args.js';
import {
  parseToolVersion,
  pgToolEnv,
  quoteConninfoValue,
  serverMajor,
  toolPath,
} from '../../src/dialect/postgres/pg-tools.js';
import { isScratchOf, scratchPrefix } from '../../src/dialect/postgres/scratch.js';

describe('pg tool arguments and environment', () => {
  it('a password file line escapes : and \\ and refuses line breaks without echoing the password', () => {
    assert.equal(passfileLine('p:w\\d'), '*:*:*:*:p\\:w\\\\d\n');
    assert.throws(
      () => passfileLine('sec\nret'),
      (err: Error) => /line break/.test(err.message) && !err.message.includes('sec'),
    );
  });

  it('the database travels as one quoted conninfo value, never as an option or a URL', () => {
    assert.equal(quoteConninfoValue("-x='y\\z"), "'-x=\\'y\\\\z'");
    assert.equal(dbnameArg('-evil=1 host=attacker'), "--dbname=dbname='-evil=1 host=attacker'");
    assert.equal(dbnameArg('postgres://u:p@h/db'), "--dbname=dbname='postgres://u:p@h/db'");
    assert.equal(literalPattern('we*ird"s.chema'), '"we*ird""s.chema"');
  });

  it('the environment carries host, port and user but never the password; inherited PG variables are dropped', () => {
    const saved = {
      PGPASSWORD: process.env.PGPASSWORD,
      PGHOST: process.env.PGHOST,
      PGDATABASE: process.env.PGDATABASE,
    };
    process.env.PGPASSWORD = 'inherited-secret';
    process.env.PGHOST = 'evil-host';
    process.env.PGDATABASE = 'other';
    try {
      const env = pgToolEnv(
        {
          host: 'db1',
          port: 6432,
          user: 'app',
          password: 'S3cret!pw',
          database: 'acme',
          ssl: { rejectUnauthorized: false },
        },
        { appName: 'dbfleet pg_dump acme', passfile: '/tmp/x/pgpass', settings: { lock_timeout: 5000 } },
      );
      assert.equal(env.PGHOST, 'db1');
      assert.equal(env.PGPORT, '6432');
      assert.equal(env.PGUSER, 'app');
      assert.equal(env.PGPASSFILE, '/tmp/x/pgpass');
      assert.equal(env.PGSSLMODE, 'require');
      assert.equal(env.PGOPTIONS, '-c lock_timeout=5000');
      assert.equal(env.PGPASSWORD, undefined);
      assert.equal(env.PGDATABASE, undefined);
      for (const value of Object.values(env)) {
        assert.ok(!String(value).includes('S3cret!pw'));
        assert.ok(!String(value).includes('inherited-secret'));
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('reads tool and server versions, old numbering included', () => {
    assert.deepEqual(parseToolVersion('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n'), {
      version: '15.20',
      major: 15,
      text: 'pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)',
    });
    assert.equal(parseToolVersion('pg_dump (PostgreSQL) 9.6.24')?.major, 9.6);
    assert.equal(parseToolVersion('pg_restore (PostgreSQL) 17beta1')?.major, 17);
    assert.equal(parseToolVersion('nothing here'), undefined);
    assert.equal(serverMajor(150020), 15);
    assert.equal(serverMajor(100012), 10);
    assert.equal(serverMajor(90624), 9.6);
  });

  // A restore's script comes from pg_restore and runs through psql: the two must be of one install.
  it('psql is the one beside a configured pg_restore, else found as any tool is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-tools-'));
    try {
      const restore = join(dir, 'pg_restore');
      writeFileSync(restore, '');
      assert.notEqual(toolPath('psql', { bin: { pg_restore: restore } }), join(dir, 'psql'));
      writeFileSync(join(dir, 'psql'), '');
      assert.equal(toolPath('psql', { bin: { pg_restore: restore } }), join(dir, 'psql'));
      assert.equal(toolPath('psql', { bin: { pg_restore: restore, psql: '/opt/psql' } }), '/opt/psql');
      assert.equal(toolPath('pg_dump', { bin: { pg_restore: restore } }), toolPath('pg_dump', {}));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('password files', () => {
  it('a password directory left by a killed dbfleet is removed; a live, recent or foreign one is kept', () => {
    const root = mkdtempSync(join(tmpdir(), 'dbfleet-sweep-'));
    try {
      const gone = spawnSync('true').pid as number; // a pid that has exited
      const old = new Date(Date.now() - 3600_000);
      const make = (name: string, age?: Date) => {
        mkdirSync(join(root, name));
        writeFileSync(join(root, name, 'pgpass'), '*:*:*:*:secret\n');
        if (age) utimesSync(join(root, name), age, age);
      };
      make(`dbfleet-pass-${gone}-stale1`, old);
      make(`dbfleet-pass-${gone}-recent`);
      make(`dbfleet-pass-${process.pid}-mine01`, old);
      make('dbfleet-pass-1-init01', old); // pid 1 is alive
      make('dbfleet-pass-a1b2c3', old); // a name without a pid
      assert.deepEqual(sweepStalePassDirs(root), [join(root, `dbfleet-pass-${gone}-stale1`)]);
      assert.deepEqual(
        readdirSync(root).sort(),
        [
          'dbfleet-pass-1-init01',
          `dbfleet-pass-${gone}-recent`,
          `dbfleet-pass-${process.pid}-mine01`,
          'dbfleet-pass-a1b2c3',
        ].sort(),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('scratch database names', () => {
  const acme = { id: 'acme', database: 'acme_production' };
  it('follow dbfleet_verify_<tenant>_<hash>_<n> and fit PostgreSQL identifiers', () => {
    assert.match(scratchPrefix(acme), /^dbfleet_verify_acme_[0-9a-f]{8}_$/);
    const prefix = scratchPrefix(acme);
    assert.ok(isScratchOf(acme, `${prefix}123`));
    assert.ok(!isScratchOf(acme, `${prefix}1_23`));
    assert.ok(!isScratchOf(acme, prefix));
    assert.ok(!isScratchOf(acme, 'dbfleet_verify_acme_123'), 'the name an older version gave is not swept');
    assert.match(scratchPrefix({ ...acme, id: 'ACME' }), /^dbfleet_verify_acme_[0-9a-f]{8}_$/);
    const long = `${scratchPrefix({ id: 'x'.repeat(300), database: 'y'.repeat(63), schema: 'z'.repeat(63) })}2147483646`;
    assert.ok(Buffer.byteLength(long) <= 63, long);
  });

  it("are the tenant's database's: the same id in another database or schema is another tenant", () => {
    const staging = { ...acme, database: 'acme_staging' };
    assert.notEqual(scratchPrefix(acme), scratchPrefix(staging));
    assert.ok(!isScratchOf(staging, `${scratchPrefix(acme)}7`));
    assert.notEqual(scratchPrefix({ ...acme, schema: 'a' }), scratchPrefix({ ...acme, schema: 'b' }));
  });

  it("property: a scratch database of one tenant is never taken for another tenant's", () => {
    const id = fc.oneof(fc.stringMatching(/^[a-z0-9_]{1,30}$/), fc.string({ minLength: 1, maxLength: 40 }));
    const tenant = fc.record({
      id,
      database: fc.constantFrom('db1', 'db2'),
      schema: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
    });
    fc.assert(
      fc.property(tenant, tenant, fc.integer({ min: 1, max: 2 ** 31 - 2 }), (a, b, n) => {
        fc.pre(a.id !== b.id || a.database !== b.database || a.schema !== b.schema);
        assert.ok(!isScratchOf(b, `${scratchPrefix(a)}${n}`));
        assert.ok(isScratchOf(a, `${scratchPrefix(a)}${n}`));
      }),
      { numRuns: 2000 },
    );
  });
});
