// Runs the dbfleet CLI from the sources as a child process (the fault tests' runners).
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/dbfleet.js');

export interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function startCli(args: string[], cwd: string): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    // From the sources: dist/ may be older than the code under test.
    env: { ...process.env, CI: '1', DBFLEET_FROM_SOURCE: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((settle) => child.on('close', (code, signal) => settle({ code, signal, stdout, stderr })));
  return { child, done };
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
