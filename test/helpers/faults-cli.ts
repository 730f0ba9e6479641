// The dbfleet CLI as a child process for the fault tests: test/helpers/cli-child.ts. bin/dbfleet.js runs
// the sources whenever dist/ is older than them, so the code under test runs; a fresh dist/ (CI's `npm ci`
// builds it) starts in half the time, which a suite that starts the CLI hundreds of times needs.
import { type CliChild, startCli as startCliChild } from './cli-child.js';

export type CliRun = CliChild;

export function startCli(args: string[], cwd: string): CliRun {
  return startCliChild(args, { cwd, env: {} });
}

/** The `--json` report of a finished run, or an error that shows what the run printed instead. */
export function jsonReport(run: { code: number | null; stdout: string; stderr: string }) {
  try {
    return JSON.parse(run.stdout) as {
      ok: boolean;
      tenants: {
        id: string;
        status: string;
        applied?: string[];
        error?: { code: string; message: string };
      }[];
    };
  } catch {
    throw new Error(`no JSON report (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
}
