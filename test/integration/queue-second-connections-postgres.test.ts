// A PostgreSQL backup's pg_dump takes over its tenant's snapshot over a second connection: for that
// moment the tenant holds two. One runner lets at most 2 tenants of a host do so at once; queue workers
// used to count them each for itself, so N workers put up to --per-host + 2N connections on a host.
// Here pg_dump is made slow to start (a wrapper that sleeps before it execs the real one), so that the
// moments overlap when nothing keeps them apart: the wrapper logs when it starts, and the test counts
// the wrappers that were sleeping at once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SECOND_CONNECTIONS_PER_HOST } from '../../src/fleet/second-connections.js';
import { cliChildren } from '../helpers/cli-child.js';
import { adminQuery, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { sampleSessions } from '../helpers/queue-workers.js';

const prefix = uniquePrefix('qsec');
const CONTROL = `${prefix}_ctl`;
const TENANTS = Array.from({ length: 12 }, (_, i) => `${prefix}_t${i}`);
const PER_HOST = 6;
/** How long the wrapper holds pg_dump back: long enough for every worker's tenants to meet in it. */
const START_DELAY_S = 1;

let cwd: string;
let startLog: string;
const env = () => ({
  PATH: `${join(cwd, 'bin')}:${process.env.PATH}`,
});
const { start, stopAll } = cliChildren(() => ({ cwd, env: env() }));

before(async () => {
  await adminQuery(`create database "${CONTROL}"`);
  for (const db of TENANTS) {
    await adminQuery(`create database "${db}"`);
    await queryDatabase(db, 'create table notes (id int primary key, body text)');
    await queryDatabase(db, 'insert into notes values (1, $1)', [db]);
  }
  cwd = mkdtempSync(join(tmpdir(), 'dbfleet-qsec-'));
  const realPgDump = execFileSync('sh', ['-c', 'command -v pg_dump'], { encoding: 'utf8' }).trim();
  startLog = join(cwd, 'pg_dump-starts.log');
  mkdirSync(join(cwd, 'bin'));
  const wrapper = join(cwd, 'bin', 'pg_dump');
  writeFileSync(
    wrapper,
    `#!/bin/sh
if [ "$1" != "--version" ]; then
  echo "$(date +%s%N)" >> '${startLog}'
  sleep ${START_DELAY_S}
fi
exec '${realPgDump}' "$@"
`,
  );
  chmodSync(wrapper, 0o755);
  writeFileSync(
    join(cwd, 'fleet.json'),
    JSON.stringify(TENANTS.map((db) => ({ id: db, dialect: 'postgres', connection: pgUrl(db) }))),
  );
});

after(async () => {
  await stopAll();
  await dropDatabases(prefix);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** The most intervals [start, start + length] that overlap at one moment. */
function mostAtOnce(starts: readonly number[], length: number): number {
  const edges = starts.flatMap((s) => [
    [s, 1],
    [s + length, -1],
  ]);
  edges.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let now = 0;
  let most = 0;
  for (const [, step] of edges) {
    now += step as number;
    most = Math.max(most, now);
  }
  return most;
}

describe('queued backups: the second-connection cap holds across workers', () => {
  it(`two workers hand over at most ${SECOND_CONNECTIONS_PER_HOST} snapshots of a host at once between them`, async () => {
    const queue = pgUrl(CONTROL);
    const workers = ['w-a', 'w-b'].map((name) =>
      start(['worker', '--queue', queue, '--tenants', 'fleet.json', '--concurrency', '3', '--name', name]),
    );
    let running = true;
    const peak = sampleSessions(`${prefix}_t`, () => !running);
    const run = await start([
      'backup',
      '--queue',
      queue,
      '--tenants',
      'fleet.json',
      '--backup-dir',
      'backups',
      '--per-host',
      String(PER_HOST),
      '--concurrency',
      String(TENANTS.length),
      '--json',
    ]).done;
    running = false;
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.done));
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      summary: { succeeded: number };
      tenants: { worker?: string }[];
    };
    assert.equal(report.summary.succeeded, TENANTS.length);

    // Both workers ran tenants (3 each at most, 6 in flight): without a shared gate each would let 2
    // of its own hand over at once, up to 4.
    const outputs = await Promise.all(workers.map((w) => w.done));
    for (const [i, out] of outputs.entries())
      assert.match(out.stdout, / succeeded /, `worker ${i} ran no tenant: ${out.stdout}${out.stderr}`);
    const starts = readFileSync(startLog, 'utf8')
      .trim()
      .split('\n')
      .map((line) => Number(BigInt(line) / 1_000_000n));
    assert.equal(starts.length, TENANTS.length);
    // Each wrapper sleeps START_DELAY_S inside the gate (its tenant's session waits for pg_dump to
    // import the snapshot): intervals of that length cannot overlap more than the gate lets in.
    assert.ok(
      mostAtOnce(starts, START_DELAY_S * 1000 - 50) <= SECOND_CONNECTIONS_PER_HOST,
      `pg_dumps starting at once: ${mostAtOnce(starts, START_DELAY_S * 1000 - 50)}`,
    );
    const { tenants, sessions } = await peak;
    assert.ok(tenants <= PER_HOST, `tenants in flight ${tenants}`);
    assert.ok(sessions <= PER_HOST + SECOND_CONNECTIONS_PER_HOST, `peak sessions ${sessions}`);
  });
});
