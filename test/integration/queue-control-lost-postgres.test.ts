// A worker whose control connection is terminated (pg_terminate_backend, a failover) while it runs
// tenants. Its job locks died with that connection, so the coordinator hands its tenants to another
// worker: it must stop them at once and exit non-zero. It used to go on migrating beside the next
// worker, which then failed LOCKED and rolled the tenants back (ROLLBACK_FAILED, left half-upgraded).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliChildren } from '../helpers/cli-child.js';
import { adminQuery, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { assertHistoryOnce } from '../helpers/queue-workers.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('qlost');
const TENANTS = [`${prefix}_t0`, `${prefix}_t1`];
const CONTROL = `${prefix}_ctl`;
const QUEUE = pgUrl(CONTROL);
const MIGRATIONS = ['001_widgets.js', '002_projects.js'];
const W_A = `${prefix}_wa`;
const W_B = `${prefix}_wb`;

let cwd: string;
/** The first migration's pg_sleep in the next process started. */
let slow = 0;
const { start, stopAll } = cliChildren(() => ({
  cwd,
  env: { SLOW: String(slow) },
}));
const common = ['--config', 'config.mjs', '--backup-dir', 'backups', '--tenants', 'fleet.json'];
const worker = (name: string, seconds: number) => {
  slow = seconds;
  return start(['worker', '--queue', QUEUE, ...common, '--concurrency', '2', '--name', name]);
};

before(async () => {
  for (const db of [...TENANTS, CONTROL]) await adminQuery(`create database "${db}"`);
  for (const db of TENANTS)
    await queryDatabase(
      db,
      "create table app_settings (key text primary key, value text); insert into app_settings values ('maintenance', 'off')",
    );
  cwd = mkdtempSync(join(tmpdir(), 'dbfleet-qlost-'));
  mkdirSync(join(cwd, 'migrations'));
  // Slow on the first worker only (its SLOW), so its tenants are mid-migration when its connection goes.
  writeFileSync(
    join(cwd, 'migrations', MIGRATIONS[0] as string),
    `export async function up(knex) {
  await knex.raw('select pg_sleep(' + Number(process.env.SLOW ?? 0) + ')');
  await knex.schema.createTable('widgets', (t) => t.increments());
}
export async function down(knex) { await knex.schema.dropTable('widgets'); }
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
  const inventory = TENANTS.map((db) => ({ id: db, dialect: 'postgres', connection: pgUrl(db) }));
  writeFileSync(join(cwd, 'fleet.json'), JSON.stringify(inventory));
});

after(async () => {
  await stopAll();
  await dropDatabases(prefix);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('queue worker whose control connection is terminated mid-tenant', () => {
  it('stops its tenants and exits 1; the next worker finishes them once, with no rollback', async () => {
    const wA = worker(W_A, 8);
    const coordinator = start(['upgrade', '--queue', QUEUE, ...common, '--json']);
    // Both tenants in wA's slow migration.
    await waitFor(
      'both tenants in the slow migration',
      async () => {
        const rows = await adminQuery(
          "select 1 from pg_stat_activity where starts_with(datname, $1) and query like '%pg_sleep(8)%'",
          [`${prefix}_t`],
        );
        return rows.length >= 2 ? true : undefined;
      },
      60_000,
    );
    const wB = worker(W_B, 0);
    await adminQuery('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [
      W_A,
    ]);
    const terminatedAt = Date.now();

    const run = await coordinator.done;
    const report = JSON.parse(run.stdout) as {
      summary: { succeeded: number };
      tenants: { id: string; status: string; error?: { code: string; message: string } }[];
    };
    assert.deepEqual(
      report.tenants.map((t) => [t.id, t.status, t.error?.code]),
      TENANTS.map((id) => [id, 'succeeded', undefined]),
      run.stdout,
    );
    assert.equal(run.code, 0, run.stderr);
    await assertHistoryOnce(TENANTS, MIGRATIONS);
    for (const db of TENANTS) {
      const [flag] = await queryDatabase<{ value: string }>(
        db,
        "select value from app_settings where key = 'maintenance'",
      );
      assert.equal(flag?.value, 'off', `${db}: reopened`);
    }
    // Nothing failed or was rolled back: wA's interrupted migrate step stayed unfinished, for wB.
    const steps = await queryDatabase<{ step: string; status: string }>(
      CONTROL,
      "select step, status from dbfleet_run_steps where status = 'failed' or step in ('rollback', 'restore')",
    );
    assert.deepEqual(steps, []);

    // wA stopped on its own, at once, with one line saying why (a supervisor restarts it).
    const a = await Promise.race([
      wA.done,
      new Promise<undefined>((r) =>
        setTimeout(() => r(undefined), Math.max(0, terminatedAt + 15_000 - Date.now())),
      ),
    ]);
    assert.ok(a, 'the worker that lost its control connection is still running');
    assert.equal(a.code, 1, a.stderr);
    assert.match(a.stderr, /lost its control connection \(terminating connection due to administrator/);
    assert.match(a.stdout, /handed back/);
    assert.doesNotMatch(a.stdout, /succeeded|failed/);
    wB.child.kill('SIGTERM');
    assert.equal((await wB.done).code, 0);
  });
});
