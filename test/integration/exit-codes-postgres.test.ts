// Exit codes as an operator (or a script) reads them: 0 only when every selected
// tenant is done; a skipped tenant is not done (1, ok: false, with its reason); a journal that cannot be
// opened is a configuration error (2) that prints one line on stderr and nothing on stdout.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ROOT, runCli } from '../helpers/cli-child.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const BASIC = join(ROOT, 'test/fixtures/migrations-basic');
const PASSWORD = 'Exit-Codes-Pw-8841';

/** A tenant URL with a password (trust authentication ignores it): nothing may ever print it. */
const withPassword = (database: string) => {
  const url = new URL(pgUrl(database));
  url.password = PASSWORD;
  return url.toString();
};

describe('exit codes', () => {
  const prefix = uniquePrefix('exitc');
  const names = ['a', 'b', 'c', 'd'].map((s) => `${prefix}_${s}`);
  const [free, held, other, chatty] = names as [string, string, string, string];
  let dir: string;
  let inventory: string;

  before(async () => {
    await createDatabases(names);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-exitc-'));
    inventory = join(dir, 'fleet.json');
    writeFileSync(
      inventory,
      JSON.stringify(names.map((n) => ({ id: n, dialect: 'postgres', connection: withPassword(n) }))),
    );
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a tenant skipped because another runner holds it is not done: exit 1, ok false, the reason per tenant and in a summary line', async () => {
    // Another runner: dbfleet's session lock on `held` (class 'dbf1', the tenant's schema key '').
    const runner = new pg.Client({ connectionString: pgUrl(held), application_name: 'other-runner' });
    await runner.connect();
    try {
      await runner.query("select pg_advisory_lock(x'64626631'::int, hashtext(''))");
      const common = ['--tenants', inventory, '--migrations', BASIC, '--journal', join(dir, 'j.db')];
      const json = await runCli(['migrate', '--tenant', free, '--tenant', held, ...common, '--json'], {
        cwd: dir,
      });
      assert.equal(json.code, 1, json.stderr);
      const report = JSON.parse(json.stdout);
      assert.equal(report.ok, false);
      assert.deepEqual(report.summary, { total: 2, succeeded: 1, failed: 0, skipped: 1 });
      const skipped = report.tenants.find((t: { id: string }) => t.id === held);
      assert.equal(skipped.status, 'skipped');
      assert.equal(skipped.error.code, 'LOCKED');
      assert.match(skipped.error.message, /lock/);

      const table = await runCli(['migrate', '--tenant', held, ...common], { cwd: dir });
      assert.equal(table.code, 1, table.stderr);
      assert.match(table.stdout, /LOCKED/);
      assert.match(table.stdout, /^1 skipped, not done: 1 LOCKED \(.+\)$/m);
      for (const out of [json.stdout, json.stderr, table.stdout, table.stderr])
        assert.ok(!out.includes(PASSWORD), 'the password leaked');
    } finally {
      await runner.end();
    }
    // Once the other runner is gone the same command is done: exit 0.
    const rerun = await runCli(
      [
        'migrate',
        '--tenant',
        held,
        '--tenants',
        inventory,
        '--migrations',
        BASIC,
        '--journal',
        join(dir, 'j.db'),
      ],
      { cwd: dir },
    );
    assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
  });

  it('status: an unreachable tenant is failed (exit 1); a fleet it can read is 0', async () => {
    const mixed = join(dir, 'mixed.json');
    writeFileSync(
      mixed,
      JSON.stringify([
        { id: other, dialect: 'postgres', connection: withPassword(other) },
        { id: 'gone', dialect: 'postgres', connection: `postgres://postgres:${PASSWORD}@127.0.0.1:1/gone` },
      ]),
    );
    const bad = await runCli(['status', '--tenants', mixed, '--migrations', BASIC, '--json'], { cwd: dir });
    assert.equal(bad.code, 1, bad.stderr);
    const report = JSON.parse(bad.stdout);
    assert.equal(report.ok, false);
    const gone = report.tenants.find((t: { id: string }) => t.id === 'gone');
    assert.equal(gone.status, 'failed');
    assert.equal(gone.error.code, 'UNREACHABLE');
    assert.ok(!bad.stdout.includes(PASSWORD) && !bad.stderr.includes(PASSWORD), 'the password leaked');

    const good = await runCli(
      ['status', '--tenants', inventory, '--tenant', other, '--migrations', BASIC, '--json'],
      { cwd: dir },
    );
    assert.equal(good.code, 0, good.stderr);
    assert.equal(JSON.parse(good.stdout).ok, true);
  });

  it('with --json, stdout is the report alone: what a migration prints goes to stderr', async () => {
    const migrations = join(dir, 'chatty');
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '001_chatty.cjs'),
      "exports.up = async (knex) => { console.log('chatty migration says hi'); await knex.raw('select 1'); };\nexports.down = async () => {};\n",
    );
    const run = await runCli(
      [
        'migrate',
        '--tenants',
        inventory,
        '--tenant',
        chatty,
        '--migrations',
        migrations,
        '--journal',
        join(dir, 'chatty.db'),
        '--json',
      ],
      { cwd: dir },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).tenants[0].applied, ['001_chatty.cjs']);
    assert.match(run.stderr, /chatty migration says hi/);
  });

  for (const [what, journal] of [
    ['a server that refuses connections', `postgres://postgres:${PASSWORD}@127.0.0.1:1/x`],
    ['a database that does not exist', withPassword(`${prefix}_no_such_journal`)],
  ] as const) {
    it(`a PostgreSQL journal on ${what}: exit 2, one redacted line on stderr (and with --json, the error document)`, async () => {
      for (const output of [['--json'], []]) {
        const run = await runCli(
          ['migrate', '--tenants', inventory, '--migrations', BASIC, '--journal', journal, ...output],
          { cwd: dir },
        );
        assert.equal(run.code, 2, run.stderr);
        if (output.length) {
          const doc = JSON.parse(run.stdout);
          assert.equal(doc.ok, false);
          assert.equal(doc.error.code, 'USAGE_ERROR');
          assert.match(doc.error.message, /^cannot open the journal postgres:\/\/postgres:\*\*\*@/);
          assert.ok(!run.stdout.includes(PASSWORD), 'the password leaked');
        } else assert.equal(run.stdout, '', 'stdout carries the report only');
        const lines = run.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, run.stderr);
        assert.match(lines[0]!, /^dbfleet: cannot open the journal postgres:\/\/postgres:\*\*\*@/);
        assert.ok(!run.stderr.includes(PASSWORD), 'the password leaked');
      }
      // Nothing was changed: the tenants were not migrated.
      const c = new pg.Client({ connectionString: pgUrl(other) });
      await c.connect();
      try {
        const { rows } = await c.query("select to_regclass('public.knex_migrations') as t");
        assert.equal(rows[0].t, null);
      } finally {
        await c.end();
      }
    });
  }
});
