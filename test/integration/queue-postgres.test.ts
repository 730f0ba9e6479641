// Many runners on one run: a `migrate --queue` coordinator and `dbfleet worker` processes sharing a
// pg-boss queue on a control database, on the local PostgreSQL. One worker is killed with -9 mid-run;
// the assertions read the tenant databases (knex_migrations) and pg_stat_activity, not only the report.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliChild, cliChildren, ROOT } from '../helpers/cli-child.js';
import {
  adminQuery,
  createDatabases,
  dropDatabases,
  pgUrl,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';
import { assertHistoryOnce, killMidRun, sampleSessions } from '../helpers/queue-workers.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('queue');
/** 36 tenants, two 0.4 s migrations each, 3 at a time: long enough to kill a worker mid-run, short for CI. */
const N = 36;
const PER_HOST = 3;
const TENANTS = Array.from({ length: N }, (_, i) => `${prefix}_t${String(i).padStart(2, '0')}`);
const CONTROL = `${prefix}_ctl`;
const IDLE_CONTROL = `${prefix}_idle`;
/** Trust auth ignores it; it must still never reach the queue's job payloads. */
const SECRET = 'queue-secret-pw';
const withPassword = (url: string) => url.replace('postgres@', `postgres:${SECRET}@`);
const env = {};

let cwd: string;
const { start, stopAll } = cliChildren(() => ({ cwd, env }));

const worker = (name: string, tenants = 'fleet.json') =>
  start([
    'worker',
    '--queue',
    withPassword(pgUrl(CONTROL)),
    '--tenants',
    tenants,
    '--concurrency',
    '2',
    '--name',
    name,
  ]);

before(async () => {
  await createDatabases([...TENANTS, CONTROL, IDLE_CONTROL]);
  cwd = mkdtempSync(join(tmpdir(), 'dbfleet-queue-'));
  cpSync(join(ROOT, 'test/fixtures/migrations-slow'), join(cwd, 'migrations'), { recursive: true });
  writeFileSync(join(cwd, 'package.json'), '{ "type": "module" }');
  const inventory = TENANTS.map((db) => ({
    id: db,
    dialect: 'postgres',
    connection: withPassword(pgUrl(db)),
  }));
  writeFileSync(join(cwd, 'fleet.json'), JSON.stringify(inventory));
  writeFileSync(join(cwd, 'partial.json'), JSON.stringify(inventory.slice(1)));
  // The first six tenants are in the "eu" region.
  const tagged = inventory.map((t, i) => (i < 6 ? { ...t, tags: ['eu'] } : t));
  writeFileSync(join(cwd, 'tagged.json'), JSON.stringify(tagged));
});

after(async () => {
  await stopAll();
  await dropDatabases(prefix);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('migrate --queue with three workers', () => {
  it('survives a worker killed with -9: every tenant done, each migration once, per-host cap held', async () => {
    const workers = [worker('w1'), worker('w2'), worker('w3')];
    let running = true;
    const peak = sampleSessions(`${prefix}_t`, () => !running);
    const coordinator = start([
      'migrate',
      '--queue',
      withPassword(pgUrl(CONTROL)),
      '--tenants',
      'fleet.json',
      '--per-host',
      String(PER_HOST),
      '--concurrency',
      '12',
      '--json',
      '--journal',
      join(cwd, 'journal.db'),
    ]);
    // Killed once it has finished a tenant and taken the next: it dies with tenants in flight.
    await killMidRun(workers[0] as CliChild, CONTROL, 'w1');
    const run = await coordinator.done;
    running = false;
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      summary: { succeeded: number };
      tenants: { status: string }[];
    };
    assert.equal(report.summary.succeeded, N);
    await assertHistoryOnce(TENANTS, ['001_slow.js', '002_second.js']);
    const { sessions } = await peak;
    assert.ok(sessions <= PER_HOST, `peak sessions ${sessions} > ${PER_HOST}`);
    // Test-only look into pg-boss's table: the killed worker's tenants went back to the queue.
    const retried = await queryDatabase<{ n: number }>(
      CONTROL,
      'select count(*)::int as n from pgboss.job where retry_count > 0',
    );
    assert.ok((retried[0]?.n ?? 0) >= 1, 'no job of the killed worker was handed to another worker');
    const leaks = await queryDatabase<{ n: number }>(
      CONTROL,
      `select count(*)::int as n from pgboss.job where data::text like '%' || $1 || '%' or data::text like '%postgres://%'`,
      [SECRET],
    );
    assert.equal(leaks[0]?.n, 0, 'a job payload carries a connection string');
    assert.ok(
      !run.stdout.includes(SECRET) && !run.stderr.includes(SECRET),
      'the coordinator printed a password',
    );
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    const stopped = await Promise.all(workers.slice(1).map((w) => w.done));
    for (const s of stopped) {
      assert.equal(s.code, 0, s.stderr);
      assert.ok(!s.stdout.includes(SECRET) && !s.stderr.includes(SECRET), 'a worker printed a password');
    }
  });

  it("fails a tenant that is not in the worker's inventory, and runs the others", async () => {
    // Only this test's worker may take its jobs, whatever the test before left running.
    await stopAll();
    const w = worker('partial', 'partial.json');
    const run = await start([
      'migrate',
      '--queue',
      withPassword(pgUrl(CONTROL)),
      '--tenants',
      'fleet.json',
      '--tenant',
      TENANTS[0] as string,
      '--tenant',
      TENANTS[1] as string,
      '--json',
    ]).done;
    w.child.kill('SIGTERM');
    await w.done;
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as {
      tenants: { id: string; status: string; error?: { code: string } }[];
    };
    const byId = new Map(report.tenants.map((t) => [t.id, t]));
    assert.equal(byId.get(TENANTS[0] as string)?.error?.code, 'UNKNOWN_TENANT');
    assert.equal(byId.get(TENANTS[1] as string)?.status, 'succeeded');
  });

  it('a coordinator with no worker gives up after --worker-wait', async () => {
    const t0 = Date.now();
    const run = await start([
      'migrate',
      '--queue',
      pgUrl(IDLE_CONTROL),
      '--tenants',
      'fleet.json',
      '--worker-wait',
      '2s',
      '--json',
    ]).done;
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as { tenants: { status: string; error?: { code: string } }[] };
    assert.ok(report.tenants.every((t) => t.status === 'failed' && t.error?.code === 'NO_WORKER'));
    assert.ok(Date.now() - t0 < 30_000, 'gave up in bounded time');
    const [row] = await queryDatabase<{ n: number }>(
      TENANTS[5] as string,
      'select count(*)::int as n from knex_migrations',
    );
    assert.equal(row?.n, 2, 'tenant untouched by the idle run (migrated by the first test only)');
  });

  it("worker --tag takes only its tag's tenants, and they go only to it", async () => {
    await stopAll();
    const ran = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { tenantId?: string; status: string })
        .filter((l) => l.status === 'succeeded')
        .map((l) => l.tenantId as string);
    const args = ['--queue', withPassword(pgUrl(CONTROL)), '--tenants', 'tagged.json', '--json'];
    const eu = start(['worker', ...args, '--tag', 'eu', '--name', 'eu1', '--concurrency', '2']);
    const any = start(['worker', ...args, '--name', 'any1', '--concurrency', '2']);
    // Both are up (their control connections are open) before the coordinator routes a tenant.
    await waitFor('both workers to connect', async () => {
      const rows = await adminQuery<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where application_name in ('eu1', 'any1')",
      );
      return rows[0]?.n === 2 ? true : undefined;
    });
    const selection = TENANTS.slice(0, 12).flatMap((id) => ['--tenant', id]);
    const run = await start(['migrate', ...args, ...selection]).done;
    assert.equal(run.code, 0, run.stderr);
    eu.child.kill('SIGTERM');
    any.child.kill('SIGTERM');
    const [euOut, anyOut] = await Promise.all([eu.done, any.done]);
    assert.deepEqual(
      ran(euOut.stdout).sort(),
      TENANTS.slice(0, 6),
      'the eu worker ran exactly the eu tenants',
    );
    assert.deepEqual(ran(anyOut.stdout).sort(), TENANTS.slice(6, 12), 'the other worker ran the rest');
  });
});
