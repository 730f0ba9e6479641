// The dbfleet CLI as a child process for the fault tests: test/helpers/cli-child.ts, from the sources
// (dist/ may be older than the code under test).
import { type CliChild, startCli as startCliChild } from './cli-child.js';

export type CliRun = CliChild;

export function startCli(args: string[], cwd: string): CliRun {
  return startCliChild(args, { cwd, env: { DBFLEET_FROM_SOURCE: '1' } });
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
