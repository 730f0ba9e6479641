#!/usr/bin/env node
// Runs every test file under test/ with node's own test runner, TypeScript loaded by tsx.
// `npm test -- unit` (or any path fragment) narrows the set.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
// The longest files start first, so the two lanes end together: started last, the 150-tenant queue
// test alone (~170 s at 150 tenants, ~450 s at the 300 it had, on a slow 2-core machine) would stretch the
// whole run by most of its length.
const SLOW_FIRST = ['queue-upgrade-postgres', 'upgrade-postgres', 'knex-conformance-'];
const slowRank = (f) => {
  const i = SLOW_FIRST.findIndex((name) => f.includes(name));
  return i === -1 ? SLOW_FIRST.length : i;
};
const files = walk('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => slowRank(a) - slowRank(b) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// Three files at a time on a 2-core machine: much of a test's time is waiting (on timeouts, on the
// server, on child processes), and at 2 the whole run took ~17 min of CI's 20; at 3, ~11. The tests that
// depend on timing wait for states, not for fixed times, so they hold under that load (a full run at 3
// found one that did not, fixed in 3767a5f). TEST_CONCURRENCY=2 (or 1) for a slower, quieter run.
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
// A test that hangs must fail, not stall CI: each test gets at most TEST_TIMEOUT_MS (default 10 min),
// and a file whose tests are done exits even if something it started (a timer, a socket) is still open.
const timeoutMs = process.env.TEST_TIMEOUT_MS ?? '600000';
// TEST_TIMINGS=<file>: record each file's time there and print the slowest after the run.
const timingsFile = process.env.TEST_TIMINGS;
if (timingsFile) writeFileSync(timingsFile, '');
// TEST_CPU=<file>: record each file's CPU there, its children's included (scripts/cpu-at-exit.mjs).
const cpuFile = process.env.TEST_CPU;
if (cpuFile) writeFileSync(cpuFile, '');
// What each file ran (scripts/count-ran.mjs) and what the runner reported of it (the reporter): with
// --test-force-exit, node can drop a file's last test events and exit 0 (nodejs/node#64833) — a failing
// test could go unseen. A file reported short is run again, alone and without it, and must pass.
const counts = mkdtempSync(join(tmpdir(), 'dbfleet-test-counts-'));
process.env.TEST_RAN = join(counts, 'ran');
process.env.TEST_REPORTED = join(counts, 'reported');
const result = spawnSync(
  process.execPath,
  [
    ...(cpuFile ? ['--import', './scripts/cpu-at-exit.mjs'] : []),
    '--import',
    './scripts/count-ran.mjs',
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    '--test-force-exit',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/file-timings-reporter.mjs',
    '--test-reporter-destination=/dev/null',
    ...files,
  ],
  { stdio: 'inherit' },
);
if (timingsFile) printTimings(timingsFile);
if (cpuFile) printCpu(cpuFile);
const rerunFailed = rerunShortFiles();
rmSync(counts, { recursive: true, force: true });
process.exit(rerunFailed ? 1 : (result.status ?? 1));

/** Files whose reported tests are fewer than they ran, run again alone; true if one of them fails. */
function rerunShortFiles() {
  const lines = (name) => {
    try {
      return readFileSync(join(counts, name), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const reported = new Map();
  for (const file of lines('reported')) reported.set(file, (reported.get(file) ?? 0) + 1);
  const short = lines('ran')
    .map((line) => line.split('\t'))
    .filter(([ran, file]) => (reported.get(file) ?? 0) < Number(ran));
  let failed = false;
  for (const [ran, file] of short) {
    console.log(
      `\n${file}: ran ${ran} tests, the runner reported ${reported.get(file) ?? 0} (nodejs/node#64833); running it again, alone:`,
    );
    const again = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--test', `--test-timeout=${timeoutMs}`, '--test-reporter=spec', file],
      { stdio: 'inherit', timeout: 15 * 60_000 },
    );
    if (again.status !== 0) failed = true;
  }
  return failed;
}

function printTimings(path) {
  const perFile = new Map();
  for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    const [ms, file] = line.split('\t');
    perFile.set(file, (perFile.get(file) ?? 0) + Number(ms));
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  console.log(`\nslowest test files (of ${rows.length}; summed test time, not wall time):`);
  for (const [file, ms] of rows.slice(0, 25)) console.log(`${(ms / 1000).toFixed(1).padStart(7)} s  ${file}`);
}

function printCpu(path) {
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'))
    .sort((a, b) => Number(b[0]) - Number(a[0]));
  const total = rows.reduce((sum, [s]) => sum + Number(s), 0);
  console.log(`\nCPU by test file (${rows.length} files, ${total.toFixed(0)} s in all, children included):`);
  for (const [s, file] of rows.slice(0, 30)) console.log(`${s.padStart(8)} s  ${file}`);
}
