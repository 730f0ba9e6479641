import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { TenantError } from '../../core/errors.js';
import type { ConnectionObject } from '../../core/tenant.js';
import { launchWithParentDeathSignal } from '../../util/parent-death.js';
import type { ToolOptions } from '../backup-types.js';
import { withPassfile } from './passfile.js';
import { dbnameArg } from './pg-args.js';
import { type PgTool, type ToolRun, toolOutcome, toolSetup } from './pg-tools.js';

/**
 * Restores an archive into the tenant's database in ONE transaction together with `prelude` — the drops of
 * what was created after the backup. pg_restore straight into a database cannot take statements of ours
 * into its transaction, so those drops used to commit on their own first: a restore that then failed (a
 * lock it could not get, an archive that could not be read) left the tenant without the new objects and
 * without its old state either.
 *
 * Here pg_restore only writes the archive as a script (`--single-transaction`: its `BEGIN` comes first, its
 * `COMMIT` last, written only after the whole archive was read without error — `--exit-on-error` stops it
 * before then on any error, and it writes no inner BEGIN/COMMIT around large objects in that mode), into
 * a pipe that is psql's stdin. psql runs our `BEGIN` and the prelude (`--command`s), then that script
 * (`ON_ERROR_STOP`: the first failed statement ends psql, and with its session the transaction;
 * pg_restore's own `BEGIN` inside ours is only a warning). Whatever fails — either tool, a statement, an
 * interruption — nothing commits.
 */
export interface RestoreScriptOptions {
  conn: ConnectionObject;
  database: string;
  /** The application_name of psql's session (the lock watch finds the restore's backend by it). */
  appName: string;
  signal: AbortSignal;
  tools: ToolOptions;
  /** Server settings for psql's session (`lock_timeout`, until the archive's own `SET` overrides it). */
  settings?: Record<string, string | number>;
  /** Statements run first, inside the restore's transaction (no trailing semicolon). */
  prelude: readonly string[];
  /** pg_restore's arguments after the script options: `--clean`, `--use-list=…`, the archive path. */
  restoreArgs: readonly string[];
}

export type RestoreScriptRun =
  | { ok: true }
  /** `tool` is the side that failed first: psql when a statement failed, pg_restore when it could not read. */
  | { ok: false; tool: 'pg_restore' | 'psql'; run: ToolRun };

export async function restoreInOneTransaction(options: RestoreScriptOptions): Promise<RestoreScriptRun> {
  return withPassfile(options.conn.password, async (passfile) => {
    const writer = toolSetup('pg_restore', options);
    const runner = toolSetup('psql', options, passfile);
    if (options.signal.aborted) throw interrupted('the restore not started');
    // Our statements first, in order (`-c`, each its own argument: never a shell, never quoted by us),
    // then the script from stdin (`-f -`). The BEGIN holds through the script: its own BEGIN only warns.
    const psql = await start('psql', runner, [
      '--no-psqlrc',
      '--quiet',
      '--no-password',
      '--set=ON_ERROR_STOP=1',
      '--command=SET client_min_messages = error',
      '--command=BEGIN',
      ...options.prelude.map((statement) => `--command=${statement}`),
      '--file=-',
      dbnameArg(options.database),
    ]);
    // pg_restore writes straight into psql's stdin: the script never passes through this process (a
    // 200 MB dump is ~170 MB of COPY text). This process only held the pipe's write end, and lets go of
    // it once pg_restore has its own, so psql reads to the end of pg_restore's output and no further.
    const stdin = psql.child.stdin!;
    let restore: Started;
    try {
      restore = await start(
        'pg_restore',
        writer,
        ['--single-transaction', '--exit-on-error', '--file=-', ...options.restoreArgs],
        stdin,
      );
    } finally {
      stdin.destroy();
    }

    let restoreStopped = false;
    const stopRestore = () => {
      if (restore.child.exitCode === null && restore.child.signalCode === null) {
        restoreStopped = true;
        restore.child.kill('SIGTERM');
      }
    };
    // psql stopped first (a failed statement): pg_restore is not to go on writing for nobody.
    void psql.done.then(stopRestore, stopRestore);
    const onAbort = () => {
      stopRestore();
      psql.child.kill('SIGTERM');
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const written = await restore.done.catch(async (err: unknown) => {
        psql.child.kill('SIGTERM');
        await psql.done.catch(() => {});
        throw err;
      });
      // A script pg_restore did not finish has no COMMIT; psql is stopped anyway, rather than left to
      // reach its end: its session going away is what rolls the transaction back.
      if (written.code !== 0) psql.child.kill('SIGTERM');
      const ran = await psql.done;
      // Both ended well: the script's COMMIT ran, whatever came after it (an interrupt too late to stop it).
      if (ran.code === 0 && written.code === 0) return { ok: true };
      if (options.signal.aborted) throw interrupted('the restore stopped');
      return failedFirst(ran, written, restoreStopped);
    } finally {
      options.signal.removeEventListener('abort', onAbort);
    }
  });
}

const interrupted = (what: string) =>
  new TenantError('INTERRUPTED', `${what}: the run was interrupted; nothing was committed`);

interface Started {
  child: ChildProcess;
  done: Promise<ToolRun>;
}

/**
 * psql reads its script from a pipe; pg_restore writes into that pipe (`stdout`, psql's stdin stream).
 * Both die with dbfleet (parent-death.ts).
 */
async function start(
  tool: PgTool,
  setup: { bin: string; env: NodeJS.ProcessEnv },
  args: string[],
  stdout?: Writable,
): Promise<Started> {
  const launch = await launchWithParentDeathSignal(setup.bin, args);
  const child = spawn(launch.command, launch.args, {
    env: setup.env,
    shell: false,
    stdio: tool === 'psql' ? ['pipe', 'ignore', 'pipe'] : ['ignore', stdout ?? 'ignore', 'pipe'],
  });
  const done = toolOutcome(child, launch, setup.bin);
  // Awaited by the caller; never an unhandled rejection in between.
  done.catch(() => {});
  return { child, done };
}

/**
 * Which side of the pipe failed first, when not both ended well. psql stopping on a failed statement
 * closes the pipe: pg_restore, still writing, then dies of SIGPIPE (or exits on EPIPE, "Broken pipe")
 * before this process gets to stop it — a consequence, not a backup that cannot be read, which is what a
 * pg_restore failure is reported as. Only a pg_restore that failed on its own (psql fine, or psql only
 * stopped because the script ended early) is pg_restore's failure.
 */
export function failedFirst(
  ran: ToolRun,
  written: ToolRun,
  restoreStopped: boolean,
): Exclude<RestoreScriptRun, { ok: true }> {
  const brokenPipe = written.signal === 'SIGPIPE' || /broken pipe/i.test(written.stderr);
  if (ran.code !== 0 && (written.code === 0 || restoreStopped || brokenPipe))
    return { ok: false, tool: 'psql', run: ran };
  return { ok: false, tool: 'pg_restore', run: written };
}
