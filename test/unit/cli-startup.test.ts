// `dbfleet --help`, `--version` and a usage error must answer without loading what a run needs (knex
// and its ~250 lodash files, the drivers, zod): that took the CLI from ~0.25 s to ~0.7 s before any
// work. The imports are traced by a loader hook; the last test checks that the trace sees them when a
// command does run, so the others cannot pass by tracing nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HEAVY = ['knex', 'pg', 'better-sqlite3', 'mssql', 'zod', 'log-update'];
let traces = 0;

/** Runs the CLI from source and returns its exit code and the packages it imported. */
function cli(args: string[]): Promise<{ code: number; packages: Set<string>; stderr: string }> {
  const trace = join(dir, `trace-${traces++}`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', './test/helpers/trace-imports.mjs', 'src/cli/main.ts', ...args],
      { cwd: repo, env: { ...process.env, DBFLEET_TRACE_IMPORTS: trace } },
      (err, _stdout, stderr) => {
        let lines: string[] = [];
        try {
          lines = readFileSync(trace, 'utf8').split('\n');
        } catch {}
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, packages: new Set(lines.filter(Boolean)), stderr });
      },
    );
  });
}

const heavyIn = (packages: Set<string>) => HEAVY.filter((p) => packages.has(p));

describe('CLI start-up loads only what the command needs', () => {
  for (const args of [['--help'], ['--version'], ['upgrade', '--help'], ['migrate', '--no-such-option']]) {
    it(`dbfleet ${args.join(' ')}: no database driver, knex or zod`, async () => {
      const run = await cli(args);
      assert.equal(run.code, args[1] === '--no-such-option' ? 2 : 0, run.stderr);
      assert.ok(run.packages.has('yargs'), 'the trace saw the CLI start');
      assert.deepEqual(heavyIn(run.packages), []);
    });
  }

  it('a command that runs loads them (the trace sees them)', async () => {
    const run = await cli(['status', '--tenants', join(dir, 'no-such-inventory.json')]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /no-such-inventory\.json/);
    for (const pkg of ['knex', 'zod']) assert.ok(run.packages.has(pkg), `${pkg} was loaded`);
  });
});

/** Imports the library (src/index.ts, what `import 'dbfleet'` loads) and returns the packages it imported. */
function importLibrary(): Promise<Set<string>> {
  const trace = join(dir, `trace-${traces++}`);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './test/helpers/trace-imports.mjs',
        '--input-type=module',
        '-e',
        "await import('./src/index.ts')",
      ],
      { cwd: repo, env: { ...process.env, DBFLEET_TRACE_IMPORTS: trace } },
      (err, _stdout, stderr) => {
        if (err) return reject(new Error(`import failed: ${stderr}`));
        resolve(new Set(readFileSync(trace, 'utf8').split('\n').filter(Boolean)));
      },
    );
  });
}

// pg-boss (with cron-parser and luxon) took ~70 ms of every library import, for the --queue runs alone.
it('importing the library loads knex but not the job queue (pg-boss)', async () => {
  const packages = await importLibrary();
  assert.ok(packages.has('knex'), 'the trace saw the library load');
  assert.equal(packages.has('pg-boss'), false);
});
