import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildRun, runChild } from './measure.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Compiles src/ into dist/ (`npm run build`), unless another entry point is measured. */
export function buildDbfleet(): void {
  if (process.env.DBFLEET_BENCH_BIN) return;
  execFileSync(
    process.execPath,
    [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

/**
 * The dbfleet entry point measured: the compiled `dist/cli/main.js` — what `bin/dbfleet.js` (`npx
 * dbfleet`) starts when the build is current — built by the bench before it starts (`buildDbfleet`).
 * Measuring the build itself rather than the bin means an edit of `src/` during a long run cannot
 * switch later runs to compiling TypeScript at start-up. DBFLEET_BENCH_BIN names another entry point.
 */
export const DBFLEET_BIN = process.env.DBFLEET_BENCH_BIN
  ? resolve(process.env.DBFLEET_BENCH_BIN)
  : resolve(fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)));
const BIN = DBFLEET_BIN;

export interface DbfleetRun extends ChildRun {
  report: {
    ok: boolean;
    summary: { total: number; succeeded: number; failed: number; skipped: number };
    tenants: Array<Record<string, unknown>>;
  };
}

/** Runs a child that prints one `--json` report; a run where any tenant did not succeed is not a measurement. */
async function runReporting(what: string, args: string[], cwd: string): Promise<DbfleetRun> {
  const run = await runChild(process.execPath, args, { cwd });
  let report: DbfleetRun['report'];
  try {
    report = JSON.parse(run.stdout);
  } catch {
    throw new Error(`${what} exited ${run.code} without a JSON report: ${run.stderr.slice(-2000)}`);
  }
  if (run.code !== 0 || report.summary.succeeded !== report.summary.total) {
    const bad = report.tenants.find((t) => t.status !== 'succeeded');
    throw new Error(
      `${what} did not succeed everywhere (exit ${run.code}): ${JSON.stringify(report.summary)} first: ${JSON.stringify(bad)}`,
    );
  }
  return { ...run, report };
}

/**
 * dbfleet measured as users run it: `node dist/cli/main.js <command> … --json` (what `npx dbfleet` starts), a child process, start-up
 * included. `cwd` is an empty folder so no knexfile there is loaded: everything comes from the flags.
 */
export function runDbfleet(
  command: string,
  opts: { inventory: string; migrations: string; concurrency: number; cwd: string; extra?: string[] },
): Promise<DbfleetRun> {
  const args = [
    BIN,
    command,
    '--tenants',
    opts.inventory,
    '--migrations',
    opts.migrations,
    // One server: the per-host cap is what limits, so both are set to the bench's concurrency.
    '--concurrency',
    String(opts.concurrency),
    '--per-host',
    String(opts.concurrency),
    '--json',
    ...(opts.extra ?? []),
  ];
  return runReporting(`dbfleet ${command}`, args, opts.cwd);
}
