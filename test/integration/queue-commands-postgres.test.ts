// `backup`, `verify` and `optimize` with `--queue`: two `dbfleet worker` processes take the tenants of
// each run (backups into their backup folder, index builds with their optimizations folder); the
// coordinator prints the report a local run would. Checked on disk (the manifests) and in the tenant
// databases (pg_indexes, no scratch database left), not only in the report.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliChildren } from '../helpers/cli-child.js';
import {
  adminQuery,
  createDatabases,
  dropDatabases,
  pgUrl,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';

const prefix = uniquePrefix('qbackup');
const TENANTS = Array.from({ length: 5 }, (_, i) => `${prefix}_t${i}`);
const CONTROL = `${prefix}_ctl`;
const env = {};

let cwd: string;
const { start, stopAll } = cliChildren(() => ({ cwd, env }));

/** A coordinator of `command` on this test's queue and fleet. */
const queued = (command: string, ...extra: string[]) =>
  start([command, '--queue', pgUrl(CONTROL), '--tenants', 'fleet.json', ...extra]).done;

interface Report {
  command: string;
  tenants: {
    id: string;
    status: string;
    error?: { code: string };
    backup?: { path: string; verified: string | false };
  }[];
}

before(async () => {
  await createDatabases([...TENANTS, CONTROL]);
  for (const [i, db] of TENANTS.entries())
    await queryDatabase(
      db,
      `create table notes (id int primary key, body text); insert into notes select g, g::text from generate_series(1, ${i + 1}) g`,
    );
  cwd = mkdtempSync(join(tmpdir(), 'dbfleet-qbackup-'));
  mkdirSync(join(cwd, 'optimizations'));
  writeFileSync(
    join(cwd, 'optimizations/010-indexes.mjs'),
    "export default [{ kind: 'index', name: 'notes_body_idx', table: 'notes', columns: ['body'] }];\n",
  );
  writeFileSync(
    join(cwd, 'fleet.json'),
    JSON.stringify(TENANTS.map((db) => ({ id: db, dialect: 'postgres', connection: pgUrl(db) }))),
  );
});

after(async () => {
  await stopAll();
  await dropDatabases(prefix);
  await dropDatabases(`dbfleet_verify_${prefix}`);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('backup, verify and optimize --queue with two workers', () => {
  it('the workers back up, deep-verify and optimize every tenant; the coordinator reports each run', async () => {
    const workers = ['b1', 'b2'].map((name) =>
      start([
        'worker',
        '--queue',
        pgUrl(CONTROL),
        '--tenants',
        'fleet.json',
        '--concurrency',
        '2',
        '--name',
        name,
      ]),
    );
    const backup = await queued('backup', '--verify', 'light', '--json');
    assert.equal(backup.code, 0, backup.stderr);
    const backups = JSON.parse(backup.stdout) as Report;
    assert.equal(backups.command, 'backup');
    assert.deepEqual(
      backups.tenants.map((t) => [t.id, t.status, t.backup?.verified]).sort(),
      TENANTS.map((id) => [id, 'succeeded', 'light']),
    );
    // On disk, where the workers' --backup-dir (the default, in the shared cwd) says.
    for (const id of TENANTS) {
      const dir = join(cwd, '.dbfleet/backups', id);
      const manifests = readdirSync(dir).filter((f) => f.endsWith('.manifest.json'));
      assert.equal(manifests.length, 1, `${id}: one backup`);
      const manifest = JSON.parse(readFileSync(join(dir, manifests[0] as string), 'utf8')) as {
        tenant: string;
      };
      assert.equal(manifest.tenant, id);
    }

    const verify = await queued('verify', '--deep', '--json');
    assert.equal(verify.code, 0, verify.stderr);
    const verified = JSON.parse(verify.stdout) as Report;
    assert.ok(
      verified.tenants.every((t) => t.status === 'succeeded' && t.backup?.verified === 'deep'),
      verify.stdout,
    );
    const scratch = await adminQuery<{ n: number }>(
      'select count(*)::int as n from pg_database where starts_with(datname, $1)',
      [`dbfleet_verify_${prefix}`],
    );
    assert.equal(scratch[0]?.n, 0, 'no scratch database left behind');

    // The coordinator draws the sample; each tenant's job says whether that tenant gets the deep check.
    const sampled = await queued('verify', '--sample', '2', '--json');
    assert.equal(sampled.code, 0, sampled.stderr);
    const levels = (JSON.parse(sampled.stdout) as Report).tenants.map(
      (t) => `${t.status} ${t.backup?.verified}`,
    );
    assert.deepEqual(
      levels.sort(),
      ['succeeded deep', 'succeeded deep', 'succeeded light', 'succeeded light', 'succeeded light'],
      sampled.stdout,
    );

    const optimize = await queued('optimize', '--json');
    assert.equal(optimize.code, 0, optimize.stderr);
    const optimized = JSON.parse(optimize.stdout) as {
      tenants: { status: string; optimizations?: unknown }[];
    };
    assert.ok(
      optimized.tenants.every((t) => t.status === 'succeeded'),
      optimize.stdout,
    );
    for (const db of TENANTS) {
      const rows = await queryDatabase<{ indexname: string }>(
        db,
        "select indexname from pg_indexes where tablename = 'notes' and indexname = 'notes_body_idx'",
      );
      assert.equal(rows.length, 1, `${db}: the worker built the index`);
    }

    for (const w of workers) w.child.kill('SIGTERM');
    const stopped = await Promise.all(workers.map((w) => w.done));
    // As `worker --help` says: 0 when stopped by SIGTERM (1 is for a lost control connection).
    assert.deepEqual(
      stopped.map((r) => r.code),
      workers.map(() => 0),
      stopped.map((r) => r.stderr).join('\n'),
    );
    const lines = stopped.map((r) => r.stdout).join('');
    for (const command of ['backup', 'verify', 'optimize']) assert.match(lines, new RegExp(` ${command} `));
  });
});
