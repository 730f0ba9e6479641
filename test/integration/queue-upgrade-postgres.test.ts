// `upgrade --queue` at fleet size: a coordinator and three `dbfleet worker` processes share a run of
// 30 PostgreSQL tenants in three waves (300, then 150, 100, 60, each time CI neared its 20 minutes on a
// 2-core machine whose CPU the suite keeps busy: 30 still keep every worker busy through the kill and the
// waves: 3, 9 and 18 tenants, 4 in flight at the per-host cap; the worker is killed after its first
// tenant, with most of the fleet still to go);
// one worker is killed with -9 mid-run. What is checked is read
// from the tenant databases, the journal on the control database and pg_stat_activity, not only from the
// report: every migration applied once, every tenant reopened, no step a killed worker finished run again.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SECOND_CONNECTIONS_PER_HOST } from '../../src/fleet/second-connections.js';
import { UPGRADE_STEPS } from '../../src/upgrade/types.js';
import { type CliChild, cliChildren } from '../helpers/cli-child.js';
import { adminQuery, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { assertHistoryOnce, killMidRun, sampleSessions } from '../helpers/queue-workers.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('qup');
const N = 30;
const PER_HOST = 4;
const TENANTS = Array.from({ length: N }, (_, i) => `${prefix}_t${String(i).padStart(3, '0')}`);
/** A second fleet, for the coordinator that is killed and resumed. */
const SMALL = Array.from({ length: 12 }, (_, i) => `${prefix}_s${String(i).padStart(2, '0')}`);
/** A fleet whose canary fails: the first already has the table the first migration creates. */
const FAILING = Array.from({ length: 3 }, (_, i) => `${prefix}_f${i}`);
const TEMPLATE = `${prefix}_template`;
const CONTROL = `${prefix}_ctl`;
const SECRET = 'qup-secret-pw';
const withPassword = (url: string) => url.replace('postgres@', `postgres:${SECRET}@`);
const QUEUE = withPassword(pgUrl(CONTROL));
const MIGRATIONS = ['001_accounts.js', '002_projects.js'];

let cwd: string;
/** The small fleet's upgrade run, rolled back by the last test. */
let smallRunId: string | undefined;
const { start, stopAll } = cliChildren(() => ({ cwd, env: {} }));
const common = ['--config', 'config.mjs', '--backup-dir', 'backups'];
const worker = (name: string) =>
  start([
    'worker',
    '--queue',
    QUEUE,
    ...common,
    '--tenants',
    'small.json',
    '--concurrency',
    '2',
    '--name',
    name,
  ]);

before(async () => {
  // Every tenant starts as a copy of one template: the maintenance flag the hooks turn on and off.
  await adminQuery(`create database "${TEMPLATE}"`);
  await queryDatabase(
    TEMPLATE,
    "create table app_settings (key text primary key, value text); insert into app_settings values ('maintenance', 'off')",
  );
  for (const db of [...TENANTS, ...SMALL, ...FAILING, CONTROL])
    await adminQuery(`create database "${db}" template "${TEMPLATE}"`);
  await queryDatabase(FAILING[0] as string, 'create table accounts (id int)');
  cwd = mkdtempSync(join(tmpdir(), 'dbfleet-qup-'));
  mkdirSync(join(cwd, 'migrations'));
  // The first one takes a moment, so tenants are in flight when the worker dies.
  writeFileSync(
    join(cwd, 'migrations', MIGRATIONS[0] as string),
    `export async function up(knex) {
  await knex.raw('select pg_sleep(0.05)');
  await knex.schema.createTable('accounts', (t) => { t.increments(); t.string('name'); });
}
export async function down(knex) { await knex.schema.dropTable('accounts'); }
`,
  );
  writeFileSync(
    join(cwd, 'migrations', MIGRATIONS[1] as string),
    `export async function up(knex) { await knex.schema.createTable('projects', (t) => t.increments()); }
export async function down(knex) { await knex.schema.dropTable('projects'); }
`,
  );
  writeFileSync(join(cwd, 'package.json'), '{ "type": "module" }');
  writeFileSync(
    join(cwd, 'config.mjs'),
    `export default {
  hooks: {
    beforeTenant: "update app_settings set value = 'on' where key = 'maintenance'",
    afterTenant: "update app_settings set value = 'off' where key = 'maintenance'",
  },
};
`,
  );
  const inventory = TENANTS.map((db) => ({
    id: db,
    dialect: 'postgres',
    connection: withPassword(pgUrl(db)),
  }));
  writeFileSync(join(cwd, 'fleet.json'), JSON.stringify(inventory));
  const small = SMALL.map((db) => ({ id: db, dialect: 'postgres', connection: withPassword(pgUrl(db)) }));
  const failing = FAILING.map((db) => ({ id: db, dialect: 'postgres', connection: withPassword(pgUrl(db)) }));
  writeFileSync(join(cwd, 'small.json'), JSON.stringify([...failing, ...small, ...inventory]));
});

/** Read from each tenant: every migration applied exactly once, and its users let back in. */
async function assertUpgradedOnce(dbs: readonly string[]): Promise<void> {
  await assertHistoryOnce(dbs, MIGRATIONS);
  for (const db of dbs) {
    const [flag] = await queryDatabase<{ value: string }>(
      db,
      "select value from app_settings where key = 'maintenance'",
    );
    assert.equal(flag?.value, 'off', `${db}: reopened to its users`);
  }
}

after(async () => {
  await stopAll();
  await dropDatabases(prefix);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe(`upgrade --queue: ${N} tenants, three workers, one killed`, () => {
  it('finishes every tenant once, reopened, within the per-host cap, resuming the killed worker’s tenants', async () => {
    const workers = [worker('w1'), worker('w2'), worker('w3')];
    let running = true;
    const peak = sampleSessions(`${prefix}_t`, () => !running);
    const coordinator = start([
      'upgrade',
      '--queue',
      QUEUE,
      ...common,
      '--tenants',
      'fleet.json',
      '--canary',
      '3',
      '--waves',
      '30%,rest',
      '--per-host',
      String(PER_HOST),
      '--concurrency',
      '12',
      '--json',
    ]);
    // Killed once it has finished a tenant and taken the next: it dies with tenants in flight.
    await killMidRun(workers[0] as CliChild, CONTROL, 'w1', 120_000);
    const run = await coordinator.done;
    running = false;
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      runId: string;
      summary: { succeeded: number };
      tenants: { id: string; status: string; maintenance: string; steps: unknown[] }[];
    };
    assert.equal(report.summary.succeeded, N);
    assert.ok(report.tenants.every((t) => t.maintenance === 'open' && t.steps.length === 9));

    await assertUpgradedOnce(TENANTS);
    // Tenants in flight on the host, all workers together: the cap. A backup's pg_dump takes its
    // tenant's snapshot over a second connection while the first still holds it (a moment at start-up,
    // at most SECOND_CONNECTIONS_PER_HOST tenants of a host, all workers together): sessions may pass
    // the cap by those.
    const { tenants, sessions } = await peak;
    assert.ok(tenants <= PER_HOST, `peak tenants in flight ${tenants} > ${PER_HOST}`);
    assert.ok(sessions <= PER_HOST + SECOND_CONNECTIONS_PER_HOST, `peak sessions ${sessions}`);

    // The journal on the control database: the waves as planned, every window closed, and no step that
    // succeeded once ran again (a resumed tenant goes on after its last journaled step).
    const waves = await queryDatabase<{ wave: number; n: number }>(
      CONTROL,
      'select wave, count(*)::int as n from dbfleet_run_tenants where run_id = $1 group by wave order by wave',
      [report.runId],
    );
    // The canary's 3, then 30% of the fleet, then the rest.
    assert.deepEqual(
      waves.map((w) => w.n),
      [3, 0.3 * N, N - 3 - 0.3 * N],
    );
    const open = await queryDatabase<{ n: number }>(
      CONTROL,
      `select count(*)::int as n from dbfleet_run_tenants
        where run_id = $1 and (status <> 'succeeded' or maintenance_ended_at is null)`,
      [report.runId],
    );
    assert.equal(open[0]?.n, 0);
    const twice = await queryDatabase<{ tenant_id: string; step: string }>(
      CONTROL,
      `select tenant_id, step from dbfleet_run_steps
        where run_id = $1 and status = 'succeeded' and step = any($2)
        group by tenant_id, step having count(*) > 1`,
      [report.runId, [...UPGRADE_STEPS]],
    );
    assert.deepEqual(twice, [], 'a step that had succeeded ran again');
    // Test-only look into pg-boss's table: the killed worker's tenants went back to the queue.
    const retried = await queryDatabase<{ tenant: string }>(
      CONTROL,
      "select data->>'tenantId' as tenant from pgboss.job where retry_count > 0 and data->>'runId' = $1",
      [report.runId],
    );
    assert.ok(retried.length >= 1, 'no job of the killed worker was handed to another worker');
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
    for (const s of await Promise.all(workers.slice(1).map((w) => w.done))) {
      assert.equal(s.code, 0, s.stderr);
      assert.ok(!s.stdout.includes(SECRET) && !s.stderr.includes(SECRET), 'a worker printed a password');
    }
  });

  it('upgrade --resume --queue finishes a run whose coordinator was killed', async () => {
    const workers = [worker('r1'), worker('r2')];
    const selection = SMALL.flatMap((id) => ['--tenant', id]);
    const args = ['upgrade', '--queue', QUEUE, ...common, '--tenants', 'small.json', ...selection];
    const first = start([...args, '--per-host', '2', '--concurrency', '2', '--json']);
    const finished = async () =>
      (
        await queryDatabase<{ n: number }>(
          CONTROL,
          `select count(*)::int as n from dbfleet_run_tenants t join dbfleet_runs r using (run_id)
            where r.command = 'upgrade' and t.status = 'succeeded' and starts_with(t.tenant_id, $1)`,
          [`${prefix}_s`],
        )
      )[0]?.n ?? 0;
    await waitFor(
      'the first tenants to finish',
      async () => ((await finished()) >= 2 ? true : undefined),
      60_000,
    );
    first.child.kill('SIGKILL');
    await first.done;
    assert.ok((await finished()) < SMALL.length, 'the run was killed before it ended');

    const resumed = await start([...args, '--resume', '--json']).done;
    assert.equal(resumed.code, 0, resumed.stderr);
    const report = JSON.parse(resumed.stdout) as {
      runId: string;
      summary: { succeeded: number; total: number };
    };
    smallRunId = report.runId;
    assert.deepEqual([report.summary.total, report.summary.succeeded], [SMALL.length, SMALL.length]);
    await assertUpgradedOnce(SMALL);
    for (const w of workers) w.child.kill('SIGTERM');
    for (const s of await Promise.all(workers.map((w) => w.done))) assert.equal(s.code, 0, s.stderr);
  });

  it('rollback --run --queue restores every tenant of a queued upgrade and reopens it', async () => {
    assert.ok(smallRunId, 'the test before upgraded the small fleet');
    const workers = [worker('b1'), worker('b2')];
    const run = await start([
      'rollback',
      '--queue',
      QUEUE,
      ...common,
      '--tenants',
      'small.json',
      '--run',
      smallRunId,
      '--yes',
      '--reopen',
      '--json',
    ]).done;
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { summary: { succeeded: number } };
    assert.equal(report.summary.succeeded, SMALL.length);
    for (const db of SMALL) {
      // The pre-upgrade backup was taken in maintenance; --reopen ran the afterTenant hook after it.
      const [row] = await queryDatabase<{ accounts: string | null; value: string }>(
        db,
        "select to_regclass('accounts')::text as accounts, value from app_settings where key = 'maintenance'",
      );
      assert.deepEqual(row, { accounts: null, value: 'off' }, `${db}: restored and reopened`);
    }
    const steps = await queryDatabase<{ n: number }>(
      CONTROL,
      `select count(*)::int as n from dbfleet_run_steps s join dbfleet_runs r using (run_id)
        where r.command = 'rollback' and s.step = 'rollback' and s.status = 'succeeded'`,
    );
    assert.equal(steps[0]?.n, SMALL.length, "the workers journaled each tenant's rollback");
    for (const w of workers) w.child.kill('SIGTERM');
    for (const s of await Promise.all(workers.map((w) => w.done))) assert.equal(s.code, 0, s.stderr);
  });

  it('a queued canary that fails stops the run: it is rolled back, the later wave never starts', async () => {
    const workers = [worker('g1'), worker('g2')];
    const selection = FAILING.flatMap((id) => ['--tenant', id]);
    const run = await start([
      'upgrade',
      '--queue',
      QUEUE,
      ...common,
      '--tenants',
      'small.json',
      ...selection,
      '--canary',
      '1',
      // The canary's extra table is drift in the first wave: allowed, so the run gets to fail for real.
      '--allow-drift',
      '--json',
    ]).done;
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as {
      tenants: { id: string; status: string; error?: { code: string } }[];
    };
    const status = Object.fromEntries(
      report.tenants.map((t) => [t.id, t.status === 'skipped' ? `skipped ${t.error?.code}` : t.status]),
    );
    assert.deepEqual(status, {
      [FAILING[0] as string]: 'failed',
      [FAILING[1] as string]: 'skipped NOT_STARTED',
      [FAILING[2] as string]: 'skipped NOT_STARTED',
    });
    // The canary's first migration failed inside its transaction: no migration was applied, so there was
    // nothing to restore (only the history table knex would also have left); it stays closed. The others
    // were never touched.
    const read = (db: string) =>
      queryDatabase<{ history: string | null; value: string }>(
        db,
        "select to_regclass('knex_migrations')::text as history, value from app_settings where key = 'maintenance'",
      );
    assert.deepEqual(await read(FAILING[0] as string), [{ history: 'knex_migrations', value: 'on' }]);
    for (const db of FAILING.slice(1)) assert.deepEqual(await read(db), [{ history: null, value: 'off' }]);
    for (const w of workers) w.child.kill('SIGTERM');
    for (const s of await Promise.all(workers.map((w) => w.done))) assert.equal(s.code, 0, s.stderr);
  });
});
