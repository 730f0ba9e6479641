#!/usr/bin/env node
// Runs every test file under test/ with node's own test runner, TypeScript loaded by tsx.
// `npm test -- unit` (or any path fragment) narrows the set.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
const timings = timingsFile
  ? ['--test-reporter=./scripts/file-timings-reporter.mjs', '--test-reporter-destination=/dev/null']
  : [];
// TEST_CPU=<file>: record each file's CPU there, its children's included (scripts/cpu-at-exit.mjs).
const cpuFile = process.env.TEST_CPU;
if (cpuFile) writeFileSync(cpuFile, '');
const result = spawnSync(
  process.execPath,
  [
    ...(cpuFile ? ['--import', './scripts/cpu-at-exit.mjs'] : []),
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    '--test-force-exit',
    '--test-reporter=spec',
    ...(timings.length > 0 ? ['--test-reporter-destination=stdout', ...timings] : []),
    ...files,
  ],
  { stdio: 'inherit' },
);
if (timingsFile) printTimings(timingsFile);
if (cpuFile) printCpu(cpuFile);
process.exit(result.status ?? 1);

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
