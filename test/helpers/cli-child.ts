// The dbfleet CLI as a child process, for the tests that check what an operator sees: exit code, stdout,
// stderr, and what signals do to it.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/dbfleet.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliChild {
  child: ChildProcess;
  /** Resolves when the process has exited and its output is read. */
  done: Promise<CliRun>;
}

/**
 * Starts `dbfleet <args>`; `env` is merged over this process's environment. `via`: a command that execs
 * node in its place (`['ip', 'netns', 'exec', name]`), so the child's pid is still dbfleet's.
 */
export function startCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; via?: readonly string[] },
): CliChild {
  const command = [...(options.via ?? []), process.execPath, BIN, ...args];
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, CI: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const done = new Promise<CliRun>((settle) =>
    child.on('close', (code, signal) => settle({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

export function runCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  return startCli(args, options).done;
}

/**
 * CLI children started in one folder (`options` is read at each start: tests make the folder in
 * `before`), kept so that `stopAll` can kill whatever a failed test left running.
 */
export function cliChildren(options: () => { cwd: string; env?: NodeJS.ProcessEnv }) {
  const children: CliChild[] = [];
  return {
    start(args: string[], via?: readonly string[]): CliChild {
      const child = startCli(args, { ...options(), ...(via ? { via } : {}) });
      children.push(child);
      return child;
    },
    async stopAll(): Promise<void> {
      for (const c of children)
        if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      await Promise.all(children.map((c) => c.done));
    },
  };
}
