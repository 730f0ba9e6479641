// Many runners on many "machines": three `dbfleet worker`s, each in its own network namespace, reach the
// control database and the tenant server only over their veth link (see helpers/netns.ts); the
// coordinator runs on this host. One machine's worker is killed with -9 mid-run. Skipped, saying why,
// where namespaces cannot be made (not root).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliChild, cliChildren, ROOT } from '../helpers/cli-child.js';
import { type Machines, makeMachines, netnsUnavailable } from '../helpers/netns.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { assertHistoryOnce, killMidRun, sampleSessions } from '../helpers/queue-workers.js';

const unavailable = netnsUnavailable();
const prefix = uniquePrefix('qns');
const N = 30;
const PER_HOST = 3;
const TENANTS = Array.from({ length: N }, (_, i) => `${prefix}_t${String(i).padStart(2, '0')}`);
const CONTROL = `${prefix}_ctl`;
const SECRET = 'netns-secret-pw';

let cwd: string;
let machines: Machines | undefined;
const { start, stopAll } = cliChildren(() => ({ cwd, env: {} }));
/** A database on the server as every machine reaches it: through the shared address, never 127.0.0.1. */
const url = (db: string) => {
  const { host, port } = machines!.server;
  return `postgres://postgres:${SECRET}@${host}:${port}/${db}`;
};

before(async () => {
  if (unavailable) return;
  machines = await makeMachines(3, `dq${process.pid % 1000}`);
  await createDatabases([...TENANTS, CONTROL]);
  cwd = mkdtempSync(join(tmpdir(), 'dbfleet-netns-'));
  cpSync(join(ROOT, 'test/fixtures/migrations-slow'), join(cwd, 'migrations'), { recursive: true });
  writeFileSync(join(cwd, 'package.json'), '{ "type": "module" }');
  const inventory = TENANTS.map((db) => ({ id: db, dialect: 'postgres', connection: url(db) }));
  writeFileSync(join(cwd, 'fleet.json'), JSON.stringify(inventory));
});

after(async () => {
  await stopAll();
  await machines?.close();
  if (unavailable) return;
  await dropDatabases(prefix);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('workers on three network-namespace machines', { skip: unavailable }, () => {
  it('share a run over their links; a machine whose worker dies loses nothing', async () => {
    const ns = machines!.names;
    const workers = ns.map((name, i) =>
      start(
        [
          'worker',
          '--queue',
          url(CONTROL),
          '--tenants',
          'fleet.json',
          '--concurrency',
          '2',
          '--name',
          `m${i + 1}`,
        ],
        ['ip', 'netns', 'exec', name],
      ),
    );
    // Each worker is in its machine's namespace, where 127.0.0.1:5432 is nobody: it can only have
    // reached the server over its link.
    for (const [i, w] of workers.entries())
      assert.equal(
        execFileSync('ip', ['netns', 'identify', String(w.child.pid)], { encoding: 'utf8' }).trim(),
        ns[i],
      );
    assert.throws(() =>
      execFileSync(
        'ip',
        ['netns', 'exec', ns[0]!, 'psql', '-h', '127.0.0.1', '-U', 'postgres', '-c', 'select 1'],
        {
          stdio: 'ignore',
        },
      ),
    );

    let running = true;
    const peak = sampleSessions(`${prefix}_t`, () => !running);
    const coordinator = start([
      'migrate',
      '--queue',
      url(CONTROL),
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
    await killMidRun(workers[0] as CliChild, CONTROL, 'm1');
    const run = await coordinator.done;
    running = false;
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { summary: { succeeded: number } };
    assert.equal(report.summary.succeeded, N);
    await assertHistoryOnce(TENANTS, ['001_slow.js', '002_second.js']);
    const { sessions } = await peak;
    assert.ok(sessions <= PER_HOST, `peak sessions ${sessions} > ${PER_HOST}`);
    const retried = await queryDatabase<{ n: number }>(
      CONTROL,
      'select count(*)::int as n from pgboss.job where retry_count > 0',
    );
    assert.ok((retried[0]?.n ?? 0) >= 1, "no job of the dead machine's worker was handed to another");
    const ran = await Promise.all(
      workers.slice(1).map(async (w) => {
        w.child.kill('SIGTERM');
        const done = await w.done;
        assert.equal(done.code, 0, done.stderr);
        assert.ok(
          !done.stdout.includes(SECRET) && !done.stderr.includes(SECRET),
          'a worker printed a password',
        );
        return done.stdout.split('\n').filter((l) => l.includes(' succeeded ')).length;
      }),
    );
    assert.ok(
      ran.every((n) => n > 0),
      `both surviving machines ran tenants (${ran.join(', ')})`,
    );
  });
});
