// A queue worker whose migrations folder differs from the coordinator's refuses the run's jobs. The
// coordinator plans (and lints) with its own files; such a worker used to run its own copy — here a
// pending migration edited to delete half a table — and report success.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliChildren } from '../helpers/cli-child.js';
import { adminQuery, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('qdiff');
const TENANT = `${prefix}_t`;
const CONTROL = `${prefix}_ctl`;
const QUEUE = pgUrl(CONTROL);

let root: string;
let cwd = '';
const { start, stopAll } = cliChildren(() => ({ cwd, env: {} }));
const common = ['--backup-dir', 'backups', '--tenants', 'fleet.json', '--migrations', 'migrations'];

before(async () => {
  for (const db of [TENANT, CONTROL]) await adminQuery(`create database "${db}"`);
  await queryDatabase(
    TENANT,
    'create table items (id int primary key); insert into items select generate_series(1, 10)',
  );
  root = mkdtempSync(join(tmpdir(), 'dbfleet-qdiff-'));
  const coordinator = join(root, 'coordinator');
  mkdirSync(join(coordinator, 'migrations'), { recursive: true });
  writeFileSync(
    join(coordinator, 'migrations', '001_note.cjs'),
    `exports.up = (knex) => knex.schema.alterTable('items', (t) => t.text('note'));
exports.down = (knex) => knex.schema.alterTable('items', (t) => t.dropColumn('note'));
`,
  );
  writeFileSync(
    join(coordinator, 'fleet.json'),
    JSON.stringify([{ id: 't', dialect: 'postgres', connection: pgUrl(TENANT) }]),
  );
  // The worker's copy: the same pending migration, edited.
  cpSync(coordinator, join(root, 'worker'), { recursive: true });
  writeFileSync(
    join(root, 'worker', 'migrations', '001_note.cjs'),
    `exports.up = (knex) => knex.raw('delete from items where id % 2 = 0');
exports.down = async () => {};
`,
  );
});

after(async () => {
  await stopAll();
  await dropDatabases(prefix);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('queue worker whose migrations differ from the coordinator’s', () => {
  for (const command of ['migrate', 'upgrade']) {
    it(`${command} --queue: the tenant fails WORKER_MIGRATIONS_DIFFER, unchanged`, async () => {
      cwd = join(root, 'worker');
      const worker = start(['worker', '--queue', QUEUE, ...common, '--name', `${prefix}_w`]);
      cwd = join(root, 'coordinator');
      const run = await start([command, '--queue', QUEUE, ...common, '--json']).done;
      worker.child.kill('SIGTERM');
      await worker.done;
      const report = JSON.parse(run.stdout) as {
        tenants: { status: string; error?: { code: string; message: string } }[];
      };
      const [tenant] = report.tenants;
      assert.equal(tenant?.status, 'failed', run.stdout);
      assert.equal(tenant?.error?.code, 'WORKER_MIGRATIONS_DIFFER');
      assert.match(tenant?.error?.message ?? '', /001_note\.cjs differs from the coordinator's copy/);
      assert.equal(run.code, 1);
      const [count] = await queryDatabase<{ n: number }>(TENANT, 'select count(*)::int as n from items');
      assert.equal(count?.n, 10, 'no row deleted');
      const [history] = await queryDatabase<{ t: string | null }>(
        TENANT,
        "select to_regclass('knex_migrations')::text as t",
      );
      assert.equal(history?.t, null, 'no migration recorded');
    });
  }

  // rollback --run --with down runs the downs of the worker's own folder: an edited copy would run other
  // downs than the ones planned (here: none, the column stays while the run says it was reverted).
  it('rollback --run --with down --queue: the tenant fails WORKER_MIGRATIONS_DIFFER, still upgraded', async () => {
    cwd = join(root, 'coordinator');
    const same = start(['worker', '--queue', QUEUE, ...common, '--name', `${prefix}_same`]);
    const upgrade = await start(['upgrade', '--queue', QUEUE, ...common, '--json']).done;
    same.child.kill('SIGTERM');
    await same.done;
    assert.equal(upgrade.code, 0, upgrade.stdout + upgrade.stderr);

    cwd = join(root, 'worker');
    const worker = start(['worker', '--queue', QUEUE, ...common, '--name', `${prefix}_w2`]);
    cwd = join(root, 'coordinator');
    const run = await start([
      'rollback',
      '--run',
      'latest',
      '--with',
      'down',
      '--queue',
      QUEUE,
      ...common,
      '--json',
    ]).done;
    worker.child.kill('SIGTERM');
    await worker.done;
    const report = JSON.parse(run.stdout) as {
      tenants: { status: string; error?: { code: string; message: string } }[];
    };
    assert.equal(report.tenants[0]?.status, 'failed', run.stdout);
    assert.equal(report.tenants[0]?.error?.code, 'WORKER_MIGRATIONS_DIFFER');
    const [column] = await queryDatabase<{ n: number }>(
      TENANT,
      "select count(*)::int as n from information_schema.columns where table_name = 'items' and column_name = 'note'",
    );
    assert.equal(column?.n, 1, 'the upgrade is still there: no down of the edited copy ran');
  });
});
