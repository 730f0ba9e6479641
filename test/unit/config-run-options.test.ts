// runOptionsFrom is what the CLI used to do by hand: a loaded configuration plus overrides (the flags)
// become the options a fleet operation takes. Overrides win; the config's relative paths resolve
// against its folder and the overrides' against the caller's cwd; problems are UsageErrors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadRunOptions, runOptionsFrom, upgradeSetupOf } from '../../src/config/index.js';
import type { LoadedConfig } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-run-options-'));
after(() => rmSync(root, { recursive: true, force: true }));
const baseDir = join(root, 'project');
const cwd = join(root, 'elsewhere');
mkdirSync(baseDir, { recursive: true });
mkdirSync(cwd, { recursive: true });

const inventory = [
  { id: 'acme', dialect: 'sqlite', connection: './acme.sqlite', tags: ['eu'] },
  { id: 'globex', dialect: 'sqlite', connection: './globex.sqlite' },
];

const loaded = (raw: Record<string, unknown>): LoadedConfig => ({
  config: validateConfig({ inventory, ...raw }, 'knexfile.ts'),
  baseDir,
});

describe('runOptionsFrom', () => {
  it('takes the configuration as written, paths relative to its folder, defaults where it is silent', async () => {
    const run = await runOptionsFrom(
      loaded({
        concurrency: 3,
        perHost: 2,
        timeouts: { lock: '2s', statement: '1m', lockWait: '3s', request: 500 },
        journal: 'ops/journal.db',
        backups: { directory: 'b', keep: 2 },
      }),
      { cwd },
    );
    assert.deepEqual(
      run.tenants.map((t) => t.id),
      ['acme', 'globex'],
    );
    assert.equal(run.fleet.tenants, run.tenants);
    assert.equal(run.fleet.concurrency, 3);
    assert.equal(run.fleet.perHost, 2);
    assert.deepEqual(run.fleet.timeouts, { lockTimeoutMs: 2000, statementTimeoutMs: 60_000 });
    assert.equal(run.fleet.lockWaitMs, 3000);
    assert.equal(run.fleet.requestTimeoutMs, 500);
    assert.equal(run.migrations, join(baseDir, 'migrations'));
    assert.equal(run.optimizationsDir, join(baseDir, 'optimizations'));
    assert.equal(run.optimizationsNamed, false);
    assert.equal(run.backupDir, join(baseDir, 'b'));
    assert.equal(run.backupKeep, 2);
    assert.equal(run.journal, join(baseDir, 'ops/journal.db'));
    assert.equal(run.checksDir, join(baseDir, 'checks'));
    assert.deepEqual(run.hooks, {});
    assert.equal(run.throttle, undefined);
  });

  it('lets overrides win, their paths relative to cwd; selects tenants', async () => {
    const signal = new AbortController().signal;
    const run = await runOptionsFrom(
      loaded({ concurrency: 3, timeouts: { lock: '2s' }, journal: 'ops/journal.db' }),
      {
        cwd,
        selection: { tag: ['eu'] },
        concurrency: 9,
        perHost: 1,
        lockTimeout: '750ms',
        lockWait: 100,
        migrationsDir: 'm',
        optimizationsDir: 'o',
        backupDir: 'b',
        checksDir: 'c',
        journal: 'postgres://ops@control/dbfleet',
      },
      signal,
    );
    assert.deepEqual(
      run.tenants.map((t) => t.id),
      ['acme'],
    );
    assert.equal(run.fleet.concurrency, 9);
    assert.equal(run.fleet.perHost, 1);
    assert.equal(run.fleet.timeouts?.lockTimeoutMs, 750);
    assert.equal(run.fleet.lockWaitMs, 100);
    assert.equal(run.fleet.signal, signal);
    assert.equal(run.migrations, join(cwd, 'm'));
    assert.equal(run.optimizationsDir, join(cwd, 'o'));
    assert.equal(run.optimizationsNamed, true);
    assert.equal(run.backupDir, join(cwd, 'b'));
    assert.equal(run.checksDir, join(cwd, 'c'));
    assert.equal(run.journal, 'postgres://ops@control/dbfleet');
  });

  it("hands the upgrade the config's hooks, checks and throttle, typed", async () => {
    const afterTenant = async () => {};
    const run = await runOptionsFrom(
      loaded({
        hooks: { beforeTenant: ['select 1'], afterTenant },
        checks: [{ name: 'users', sql: 'select 1' }],
        throttle: { query: 'select 0', max: 1 },
      }),
      { cwd },
    );
    assert.deepEqual(run.hooks, { beforeTenant: ['select 1'], afterTenant });
    assert.deepEqual(run.checks, [{ name: 'users', sql: 'select 1' }]);
    assert.deepEqual(run.throttle, { query: 'select 0', max: 1 });
    const setup = upgradeSetupOf(run);
    assert.equal(setup.optimizations, undefined, 'no optimizations named and no default folder: none');
    assert.deepEqual(setup.checks, run.checks);
    assert.equal(setup.journal, run.journal);
    mkdirSync(join(baseDir, 'optimizations'));
    try {
      assert.equal(upgradeSetupOf(run).optimizations, join(baseDir, 'optimizations'));
    } finally {
      rmSync(join(baseDir, 'optimizations'), { recursive: true });
    }
  });

  it('reads a checks folder from the config, relative to it', async () => {
    const run = await runOptionsFrom(loaded({ checks: './smoke' }), { cwd });
    assert.equal(run.checks, undefined);
    assert.equal(run.checksDir, join(baseDir, 'smoke'));
  });

  it('a tenants file replaces the inventory; inventory: false loads none', async () => {
    writeFileSync(
      join(cwd, 'fleet.json'),
      JSON.stringify([{ id: 'initech', dialect: 'sqlite', connection: './i.sqlite' }]),
    );
    const fromFile = await runOptionsFrom(loaded({}), { cwd, tenantsFile: 'fleet.json' });
    assert.deepEqual(
      fromFile.tenants.map((t) => t.id),
      ['initech'],
    );
    const none = await runOptionsFrom(
      { config: validateConfig({}, 'k'), baseDir },
      { cwd, inventory: false },
    );
    assert.deepEqual(none.tenants, []);
  });

  it('refuses a bad override or selection as a UsageError', async () => {
    const config = loaded({});
    await assert.rejects(runOptionsFrom(config, { cwd, concurrency: 0 }), (err) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /^concurrency must be a whole number of at least 1$/);
      return true;
    });
    await assert.rejects(
      runOptionsFrom(config, { cwd, lockTimeout: 'soon' }),
      /^UsageError: lockTimeout: invalid duration/,
    );
    await assert.rejects(
      runOptionsFrom(config, { cwd, selection: { tenant: ['nope'] } }),
      /unknown tenant id\(s\): nope/,
    );
  });
});

describe('loadRunOptions', () => {
  it('loads the knexfile in cwd (its environment) and resolves the run from it', async () => {
    const dir = join(root, 'with-knexfile');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'knexfile.json'),
      JSON.stringify({
        production: { inventory, concurrency: 5 },
        development: { inventory, concurrency: 1 },
      }),
    );
    const run = await loadRunOptions({ cwd: dir, env: 'production', selection: { tenant: ['globex'] } });
    assert.equal(run.fleet.concurrency, 5);
    assert.deepEqual(
      run.tenants.map((t) => t.id),
      ['globex'],
    );
    assert.equal(run.baseDir, dir);
  });
});
