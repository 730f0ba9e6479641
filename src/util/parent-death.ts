import { execFile } from 'node:child_process';

/**
 * A child process outlives a parent that is killed with SIGKILL (or by the OOM killer): a pg_dump
 * would go on holding its snapshot and a connection, a pg_restore would go on writing into a scratch
 * database, with nobody left to stop them or read their result. No exit handler runs on SIGKILL, so
 * the kernel has to do it: on Linux, util-linux's `setpriv --pdeathsig TERM -- tool args…` sets the
 * parent-death signal (prctl PR_SET_PDEATHSIG) and then execs the tool in the same process, so the
 * tool keeps its pid and argv[0] and gets SIGTERM when dbfleet dies, however it dies. The signal is
 * tied to the thread that spawned the child: libuv spawns from the event-loop thread, which lives as
 * long as dbfleet (or as the worker thread that runs it, whose end should stop its tools too).
 *
 * Where setpriv is missing or too old (before util-linux 2.33) or the system is not Linux, tools run
 * unwrapped, as before; DBFLEET_NO_PDEATHSIG=1 does the same on purpose (the test that shows the
 * difference uses it).
 */
export interface Launch {
  command: string;
  args: string[];
  /** The tool was wrapped: an exec failure shows as setpriv's exit code 126/127, not a spawn error. */
  wrapped: boolean;
}

let support: Promise<boolean> | undefined;

function setprivHasPdeathsig(): Promise<boolean> {
  if (process.platform !== 'linux' || process.env.DBFLEET_NO_PDEATHSIG === '1') return Promise.resolve(false);
  support ??= new Promise((resolve) => {
    execFile('setpriv', ['--help'], { timeout: 5000 }, (err, stdout) => {
      resolve(!err && stdout.includes('--pdeathsig'));
    });
  });
  return support;
}

export async function launchWithParentDeathSignal(command: string, args: string[]): Promise<Launch> {
  if (!(await setprivHasPdeathsig())) return { command, args, wrapped: false };
  return { command: 'setpriv', args: ['--pdeathsig', 'TERM', '--', command, ...args], wrapped: true };
}

/**
 * setpriv reports a tool it could not exec as `setpriv: failed to execute <tool>: <reason>` and exit
 * code 127 (not found) or 126 (not executable); this is what a spawn error would have said unwrapped.
 */
export function execFailureOf(
  launch: Launch,
  code: number | null,
  stderr: string,
): { notFound: boolean; message: string } | undefined {
  if (!launch.wrapped || (code !== 126 && code !== 127)) return undefined;
  const m = /^setpriv: failed to execute [^\n]*?: ([^\n]+)$/m.exec(stderr);
  return m ? { notFound: code === 127, message: m[1] ?? '' } : undefined;
}
