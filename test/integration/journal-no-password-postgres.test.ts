// "Nothing dbfleet prints, logs, writes to its journal or passes on a command line contains a password"
// (README), checked end to end: a tenant URL and a PostgreSQL journal URL with passwords (the test
// server's trust authentication ignores them), a migrate, a backup with its manifest, the fleet report
// in every format. (pg_dump's argv and environment are checked in signals-postgres.test.ts, while it runs.)
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ROOT, runCli } from '../helpers/cli-child.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const BASIC = join(ROOT, 'test/fixtures/migrations-basic');
const TENANT_PASSWORD = 'Tenant-Pw-7731';
const JOURNAL_PASSWORD = 'Journal-Pw-9902';

const withPassword = (database: string, password: string) => {
  const url = new URL(pgUrl(database));
  url.password = password;
  return url.toString();
};

function filesUnder(path: string): string[] {
  return statSync(path).isDirectory()
    ? readdirSync(path).flatMap((name) => filesUnder(join(path, name)))
    : [path];
}

describe('no password anywhere', () => {
  const prefix = uniquePrefix('nopw');
  const tenant = `${prefix}_t`;
  const control = `${prefix}_control`;
  let dir: string;

  before(async () => {
    await createDatabases([tenant, control]);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-nopw-'));
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('not in the output, the journal, the report, the backup folder or its manifests', async () => {
    const inventory = join(dir, 'fleet.json');
    writeFileSync(
      inventory,
      JSON.stringify([
        { id: tenant, dialect: 'postgres', connection: withPassword(tenant, TENANT_PASSWORD) },
      ]),
    );
    const journal = withPassword(control, JOURNAL_PASSWORD);
    const backups = join(dir, 'backups');
    const common = ['--tenants', inventory, '--journal', journal];
    const outputs: string[] = [];
    for (const args of [
      ['migrate', ...common, '--migrations', BASIC],
      ['migrate', ...common, '--migrations', BASIC, '--json'],
      ['backup', ...common, '--backup-dir', backups, '--json'],
      ['verify', ...common, '--backup-dir', backups, '--deep'],
      ['status', ...common, '--migrations', BASIC],
      ['report', '--journal', journal],
      ['report', '--journal', journal, '--format', 'json'],
      ['report', '--journal', journal, '--format', 'md'],
      ['report', '--journal', journal, '--format', 'html'],
    ]) {
      const run = await runCli(args, { cwd: dir });
      assert.equal(run.code, 0, `${args[0]}: ${run.stdout}${run.stderr}`);
      outputs.push(run.stdout, run.stderr);
    }
    const leaks = (text: string) => text.includes(TENANT_PASSWORD) || text.includes(JOURNAL_PASSWORD);
    assert.ok(!outputs.some(leaks), 'a password was printed');

    const c = new pg.Client({ connectionString: pgUrl(control) });
    await c.connect();
    try {
      for (const table of [
        'dbfleet_runs',
        'dbfleet_run_tenants',
        'dbfleet_run_steps',
        'dbfleet_run_migrations',
      ]) {
        const { rows } = await c.query(`select * from ${table}`);
        assert.ok(rows.length > 0, `${table} has rows`);
        assert.ok(!leaks(JSON.stringify(rows)), `a password is in ${table}`);
      }
    } finally {
      await c.end();
    }
    const files = filesUnder(backups);
    assert.ok(
      files.some((f) => f.endsWith('.manifest.json')),
      'a manifest was written',
    );
    for (const file of files) {
      assert.ok(!leaks(file), `a password is in the name ${file}`);
      assert.ok(!readFileSync(file).includes(TENANT_PASSWORD), `a password is in ${file}`);
    }
  });
});
