// A worker's tenants, its heartbeat and its job loop share one control connection (one pg client). They
// handed it queries while another was running, and pg queued them itself: pg 8 prints "DeprecationWarning:
// Calling client.query() when the client is already executing a query is deprecated" (pg 9 refuses).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lockAny, openControl } from '../../src/dialect/postgres/queue-control.js';
import { watchControl } from '../../src/queue/control-watch.js';
import { cliChildren } from '../helpers/cli-child.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('qserial');
const CONTROL = `${prefix}_ctl`;
const TENANTS = Array.from({ length: 8 }, (_, i) => `${prefix}_t${i}`);
const CONCURRENT_QUERY = /already executing a query/;

// Node prints each deprecation once per process: this file's own process sees the library's, the CLI
// children their own.
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));

let cwd: string;
const { start, stopAll } = cliChildren(() => ({ cwd }));

before(async () => {
  await createDatabases([CONTROL, ...TENANTS]);
  cwd = mkdtempSync(join(tmpdir(), 'dbfleet-qserial-'));
  mkdirSync(join(cwd, 'migrations'));
  writeFileSync(
    join(cwd, 'migrations', '001_accounts.js'),
    `export async function up(knex) { await knex.schema.createTable('accounts', (t) => t.increments()); }
export async function down(knex) { await knex.schema.dropTable('accounts'); }
`,
  );
  writeFileSync(join(cwd, 'package.json'), '{ "type": "module" }');
  const inventory = TENANTS.map((db) => ({ id: db, dialect: 'postgres', connection: pgUrl(db) }));
  writeFileSync(join(cwd, 'fleet.json'), JSON.stringify(inventory));
});
after(async () => {
  await stopAll();
  await dropDatabases(prefix);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('the control connection', () => {
  it('sends its queries one at a time, in the order they were asked for', async () => {
    const control = await openControl(pgUrl(CONTROL), 'qserial-lib');
    const stopWatching = watchControl(control, () => {});
    try {
      const slots = Array.from({ length: 6 }, (_, i) => [5151, i + 1] as const);
      // Six tenants of one worker ask for host slots at once, while the worker notifies, holds its shared
      // lock and asks for a sign of life: each tenant gets a slot of its own.
      const [taken] = await Promise.all([
        Promise.all(Array.from({ length: 6 }, () => lockAny(control, slots, 10))),
        control.notify('qserial', 'hello'),
        control.query('select 1'),
        control.holdShared([5151, 99]),
      ]);
      assert.equal(new Set(taken.map((k) => k.join(':'))).size, 6);
      // An unlock goes out before a tryLock asked for after it: the slot is taken again at once.
      const [, again] = await Promise.all([control.unlock(slots[0]!), control.tryLock(slots[0]!)]);
      assert.equal(again, true);
      await Promise.all(slots.map((slot) => control.unlock(slot)));
    } finally {
      stopWatching();
      await control.close();
    }
    assert.deepEqual(
      warnings.filter((w) => CONCURRENT_QUERY.test(w)),
      [],
    );
  });

  it('a queued upgrade: the worker prints no DeprecationWarning', { timeout: 120_000 }, async () => {
    const queue = pgUrl(CONTROL);
    const worker = start([
      'worker',
      '--queue',
      queue,
      '--tenants',
      'fleet.json',
      '--backup-dir',
      'backups',
      '--concurrency',
      '4',
      '--name',
      'qserial-w1',
    ]);
    const args = ['--queue', queue, '--tenants', 'fleet.json', '--backup-dir', 'backups'];
    const run = await start(['upgrade', ...args, '--per-host', '4', '--concurrency', '8', '--json']).done;
    worker.child.kill('SIGTERM');
    const stopped = await worker.done;
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { summary: { succeeded: number } }).summary.succeeded, 8);
    for (const db of TENANTS)
      assert.deepEqual(await queryDatabase(db, 'select count(*)::int as n from knex_migrations'), [{ n: 1 }]);
    assert.doesNotMatch(stopped.stderr, /DeprecationWarning/);
    assert.doesNotMatch(run.stderr, /DeprecationWarning/);
  });
});
