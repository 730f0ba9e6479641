// The CLI as an operator runs it: exit codes, Ctrl-C, what reaches the terminal.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';
import { waitUntil } from '../helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/dbfleet.js');
const SLOW = join(ROOT, 'test/fixtures/migrations-slow');
const PASSWORD = 'Sup3rSecretPw-cli';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function waitFor(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

function appliedSoFar(journal: string): number {
  if (!existsSync(journal)) return 0;
  const db = new Database(journal, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select count(*) as n from dbfleet_run_migrations').get() as { n: number }).n;
  } catch {
    return 0; // the journal's tables are not there yet
  } finally {
    db.close();
  }
}

function dbfleet(args: string[], cwd: string): Promise<Run> {
  return waitFor(execFile(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: '1' } }));
}

describe('the dbfleet CLI against PostgreSQL', () => {
  const prefix = uniquePrefix('cli');
  const names = Array.from({ length: 12 }, (_, i) => `${prefix}_${String(i).padStart(2, '0')}`);
  let dir: string;
  let inventory: string;

  before(async () => {
    await createDatabases(names);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-cli-'));
    inventory = join(dir, 'fleet.json');
    writeFileSync(
      inventory,
      JSON.stringify(names.map((n) => ({ id: n, dialect: 'postgres', connection: pgUrl(n) }))),
    );
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('Ctrl-C stops new tenants, lets in-flight ones finish their current migration, reports, exits 1', async () => {
    const journalFile = join(dir, 'j.db');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'migrate',
        '--tenants',
        inventory,
        '--migrations',
        SLOW,
        '--concurrency',
        '2',
        '--journal',
        journalFile,
        '--json',
      ],
      { cwd: dir },
    );
    const result = waitFor(child);
    // Interrupt once the run is really under way (a migration has been applied), however slow start-up is.
    await waitUntil('the run to start', () => appliedSoFar(journalFile) >= 1, 60_000);
    child.kill('SIGINT');
    const { code, stdout } = await result;
    assert.equal(code, 1);
    const report = JSON.parse(stdout);
    assert.equal(report.interrupted, true);
    const skipped = report.tenants.filter((t: { status: string }) => t.status === 'skipped');
    assert.ok(
      skipped.length > 0 && skipped.length < names.length,
      `some tenants never started (${skipped.length})`,
    );
    for (const t of skipped) assert.equal(t.error.code, 'NOT_STARTED');
    // Every tenant holds whole migrations only: each applied migration has its table and its history row.
    for (const t of report.tenants as { id: string; status: string; applied?: string[] }[]) {
      const c = new pg.Client({ connectionString: pgUrl(t.id) });
      await c.connect();
      try {
        const history = await c
          .query('select name from knex_migrations order by id')
          .catch(() => ({ rows: [] as { name: string }[] }));
        const tables = await c.query(
          "select table_name from information_schema.tables where table_name like 'slow_%' order by 1",
        );
        assert.deepEqual(
          history.rows.map((r) => r.name),
          t.applied ?? [],
        );
        assert.equal(tables.rows.length, history.rows.length, `${t.id}: tables match the history`);
        if (t.status === 'skipped') assert.equal(history.rows.length, 0);
      } finally {
        await c.end();
      }
    }
  });

  it('a bad inventory is exit 2 with every problem listed, and nothing is touched', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify([
        { id: 'a', dialect: 'postgres', connection: pgUrl(names[0]!) },
        { id: 'A', dialect: 'postgres', connection: pgUrl(names[1]!) },
        { id: 'b', dialect: 'oracle', connection: 'x' },
        { id: 'c', dialect: 'postgres' },
      ]),
    );
    const { code, stderr } = await dbfleet(['migrate', '--tenants', bad, '--migrations', SLOW], dir);
    assert.equal(code, 2);
    assert.match(stderr, /differs only in case/);
    assert.match(stderr, /unknown dialect "oracle"/);
    assert.match(stderr, /missing connection/);
  });

  it('an unknown --tenant is exit 2', async () => {
    const { code, stderr } = await dbfleet(
      ['status', '--tenants', inventory, '--migrations', SLOW, '--tenant', 'nope'],
      dir,
    );
    assert.equal(code, 2);
    assert.match(stderr, /unknown tenant id\(s\): nope/);
  });

  it('a password in a tenant URL reaches neither stdout nor stderr, in table or JSON mode', async () => {
    const leaky = join(dir, 'leaky.json');
    writeFileSync(
      leaky,
      JSON.stringify([
        {
          id: 'unreachable',
          dialect: 'postgres',
          connection: `postgres://postgres:${PASSWORD}@127.0.0.1:1/nowhere`,
        },
        {
          id: 'wrongdb',
          dialect: 'postgres',
          connection: `postgres://postgres:${PASSWORD}@127.0.0.1:5432/${prefix}_missing`,
        },
      ]),
    );
    for (const extra of [[], ['--json']]) {
      const { code, stdout, stderr } = await dbfleet(
        ['migrate', '--tenants', leaky, '--migrations', SLOW, '--journal', join(dir, 'j2.db'), ...extra],
        dir,
      );
      assert.equal(code, 1);
      assert.ok(!stdout.includes(PASSWORD) && !stderr.includes(PASSWORD), 'the password leaked');
      assert.match(stdout, /UNREACHABLE/);
      assert.match(stdout, /DATABASE_NOT_FOUND/);
    }
  });
});
