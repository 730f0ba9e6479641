import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TenantError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import type { ConnectionObject } from '../../core/tenant.js';
import { execFailureOf, type Launch, launchWithParentDeathSignal } from '../../util/parent-death.js';
import type { ToolOptions } from '../backup-types.js';
import { DEBIAN_BIN_ROOT, unwrappedToolPath, WRAPPER_SYSCONFDIR } from './debian-wrapper.js';
import { withPassfile } from './passfile.js';

/**
 * Running pg_dump / pg_restore safely:
 * - argument arrays, never a shell;
 * - the database goes in as a quoted conninfo (`dbname='…'`), so a name starting with `-` is not an
 *   option and a name containing `=` is not parsed as a connection string;
 * - host/port/user go in the environment, which on Linux only the process owner and root can read
 *   (/proc/<pid>/environ is 0400) — but libpq's docs warn that some systems show the environment to
 *   other users, so the password never goes there: it goes in a 0600 PGPASSFILE in a 0700 directory,
 *   created for this one invocation and removed when the tool exits.
 */
export type PgTool = 'pg_dump' | 'pg_restore' | 'psql';

export interface ToolRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Connection variables of dbfleet's own environment that must not steer a tenant's tool run. */
const DROPPED_ENV =
  /^PG(HOST|HOSTADDR|PORT|USER|PASSWORD|PASSFILE|DATABASE|SERVICE|SERVICEFILE|APPNAME|OPTIONS|SSLMODE|REQUIRESSL|TARGETSESSIONATTRS|CONNECT_TIMEOUT)$/;

export function quoteConninfoValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function sslMode(conn: ConnectionObject): string | undefined {
  if (typeof conn.sslmode === 'string') return conn.sslmode;
  if (conn.ssl === false) return 'disable';
  if (
    conn.ssl &&
    typeof conn.ssl === 'object' &&
    (conn.ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized === false
  ) {
    return 'require';
  }
  if (conn.ssl) return 'verify-full';
  return undefined;
}

export interface PgEnvOptions {
  appName: string;
  passfile?: string;
  /** Server settings for the tool's session (`-c name=value` in PGOPTIONS). */
  settings?: Record<string, string | number>;
}

/** The tool's environment: inherited non-connection variables plus this tenant's target, no password. */
export function pgToolEnv(conn: ConnectionObject, options: PgEnvOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!DROPPED_ENV.test(key)) env[key] = value;
  if (typeof conn.host === 'string' && conn.host) env.PGHOST = conn.host;
  if (conn.port !== undefined) env.PGPORT = String(conn.port);
  if (typeof conn.user === 'string' && conn.user) env.PGUSER = conn.user;
  const mode = sslMode(conn);
  if (mode) env.PGSSLMODE = mode;
  env.PGAPPNAME = options.appName.slice(0, 63);
  env.PGCONNECT_TIMEOUT = '10';
  if (options.passfile) env.PGPASSFILE = options.passfile;
  const settings = Object.entries(options.settings ?? {});
  if (settings.length) env.PGOPTIONS = settings.map(([k, v]) => `-c ${k}=${v}`).join(' ');
  return env;
}

/** Per tool and PATH: the versioned binary behind Debian's pg_wrapper, or null (see debian-wrapper.ts). */
const unwrapped = new Map<string, string | null>();

function unwrappedTool(tool: PgTool): string | undefined {
  const key = `${tool}\0${process.env.PATH ?? ''}`;
  if (!unwrapped.has(key))
    unwrapped.set(
      key,
      unwrappedToolPath(tool, { path: process.env.PATH ?? '', binRoot: DEBIAN_BIN_ROOT }) ?? null,
    );
  return unwrapped.get(key) ?? undefined;
}

export function toolPath(tool: PgTool, tools: ToolOptions): string {
  return tools.bin?.[tool] ?? siblingOfConfigured(tool, tools) ?? unwrappedTool(tool) ?? tool;
}

/**
 * psql runs pg_restore's script (see restore-script.ts): when only pg_restore's path is configured, the
 * psql installed beside it — a script of pg_restore 15.14+ starts with `\restrict`, which an older psql
 * found on PATH would reject.
 */
function siblingOfConfigured(tool: PgTool, tools: ToolOptions): string | undefined {
  const restore = tools.bin?.pg_restore;
  if (tool !== 'psql' || restore === undefined || !restore.includes('/')) return undefined;
  const sibling = join(dirname(restore), 'psql');
  return existsSync(sibling) ? sibling : undefined;
}

/** The environment pg_wrapper would have given the binary it runs (when dbfleet runs it instead). */
function wrapperEnv(tool: PgTool, tools: ToolOptions, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (tools.bin?.[tool] !== undefined || !unwrappedTool(tool) || env.PGSYSCONFDIR !== undefined) return env;
  return { ...env, PGSYSCONFDIR: WRAPPER_SYSCONFDIR };
}

export interface RunToolOptions {
  conn: ConnectionObject;
  appName: string;
  signal: AbortSignal;
  tools: ToolOptions;
  settings?: Record<string, string | number>;
  /** Called with the child's pid once it runs (tests look at its argv and environment). */
  onSpawn?: (pid: number) => void;
  /** Called with each chunk the child writes to stderr, as it comes. */
  onStderr?: (chunk: string) => void;
}

const MAX_CAPTURE = 8 * 1024 * 1024;

/** The binary to run and its environment, for this tenant's target (the password only as `passfile`). */
export function toolSetup(
  tool: PgTool,
  options: Pick<RunToolOptions, 'conn' | 'appName' | 'tools' | 'settings'>,
  passfile?: string,
): { bin: string; env: NodeJS.ProcessEnv } {
  const env = pgToolEnv(options.conn, { appName: options.appName, passfile, settings: options.settings });
  return { bin: toolPath(tool, options.tools), env: wrapperEnv(tool, options.tools, env) };
}

/** Runs a tool to completion; a non-zero exit is a result, not an exception (the caller words it). */
export async function runPgTool(tool: PgTool, args: string[], options: RunToolOptions): Promise<ToolRun> {
  return withPassfile(options.conn.password, (passfile) => {
    const { bin, env } = toolSetup(tool, options, passfile);
    return spawnTool(bin, args, env, options.signal, options.onSpawn, options.onStderr);
  });
}

function notFound(bin: string): TenantError {
  return new TenantError(
    'TOOL_NOT_FOUND',
    `${bin} not found: install the PostgreSQL client tools or configure its path`,
  );
}

/** Runs a tool that dies with dbfleet, even on SIGKILL (see parent-death.ts). */
export async function spawnTool(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
  onSpawn?: (pid: number) => void,
  onStderr?: (chunk: string) => void,
): Promise<ToolRun> {
  const launch = await launchWithParentDeathSignal(bin, args);
  if (signal.aborted) throw new TenantError('INTERRUPTED', `${bin} not started: the run was interrupted`);
  const child = spawn(launch.command, launch.args, { env, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  const outcome = toolOutcome(child, launch, bin, onStderr);
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
    killTimer.unref();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  child.once('spawn', () => {
    if (child.pid !== undefined) onSpawn?.(child.pid);
  });
  const stopped = () => new TenantError('INTERRUPTED', `${bin} stopped: the run was interrupted`);
  try {
    const run = await outcome.catch((err: unknown) => {
      throw signal.aborted ? stopped() : err;
    });
    if (signal.aborted) throw stopped();
    return run;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (killTimer) clearTimeout(killTimer);
  }
}

/**
 * What a started tool comes to: its exit code and output (stdout when it is piped to this process), or,
 * when it could not start — not found, or setpriv's exec failure (see parent-death.ts) — TOOL_NOT_FOUND or
 * TOOL_FAILED. A non-zero exit is a result, not an error.
 */
export function toolOutcome(
  child: ChildProcess,
  launch: Launch,
  bin: string,
  onStderr?: (chunk: string) => void,
): Promise<ToolRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    if (stdout.length < MAX_CAPTURE) stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < MAX_CAPTURE) stderr += d;
    onStderr?.(d);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(notFound(bin));
      else reject(new TenantError('TOOL_FAILED', `${bin} could not be started: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      const execFailure = execFailureOf(launch, code, stderr);
      if (execFailure?.notFound) reject(notFound(bin));
      else if (execFailure)
        reject(new TenantError('TOOL_FAILED', `${bin} could not be started: ${execFailure.message}`));
      else resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * The last lines of a tool's stderr, credentials masked: enough to act on, short enough for a report.
 * A statement pg_restore quotes after `Command was:` keeps its first line only: a CREATE TABLE of many
 * lines pushed the error itself (`type "public.mood" does not exist`) out of the kept lines. pg_dump's
 * `detail: Query was:` is cut short too: its catalog query cut the cause (`server closed the connection
 * unexpectedly`) off the front of the kept text.
 */
/** pg_restore's `Command was:`, pg_dump's `detail: Query was:` (its catalog query: 1.5 kB on one line). */
const QUOTED_STATEMENT = /^(Command was: |pg_(restore|dump): detail: Query was: )/;

export function toolErrorText(run: ToolRun): string {
  const lines: string[] = [];
  let quoting = false;
  for (const line of run.stderr.trim().split('\n')) {
    if (QUOTED_STATEMENT.test(line)) {
      quoting = true;
      lines.push(line.length > 120 ? `${line.slice(0, 119)}…` : line);
      continue;
    }
    if (/^pg_(restore|dump): /.test(line)) quoting = false;
    else if (quoting) continue;
    lines.push(line);
  }
  const text = lines.slice(-6).join(' | ');
  const how = run.signal ? `killed by ${run.signal}` : `exit code ${run.code}`;
  return redact(text ? `${how}: ${text.slice(-1500)}` : how);
}

export interface ToolVersion {
  /** e.g. `15.20` or `9.6.24` */
  version: string;
  /** Major release as a number: 15, 9.6 */
  major: number;
  /** The whole `--version` line */
  text: string;
}

/** `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` → 15.20 / 15; `… 9.6.24` → 9.6. */
export function parseToolVersion(text: string): ToolVersion | undefined {
  const m =
    /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text) ??
    /\b(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  const second = m[2] === undefined ? undefined : Number(m[2]);
  const version = [m[1], m[2], m[3]].filter((x) => x !== undefined).join('.');
  const major = first < 10 && second !== undefined ? Number(`${first}.${second}`) : first;
  return { version, major, text: text.trim().split('\n')[0] ?? '' };
}

/** 150020 → 15; 90624 → 9.6 */
export function serverMajor(versionNum: number): number {
  return versionNum >= 100000
    ? Math.floor(versionNum / 10000)
    : Math.floor(versionNum / 10000) + (Math.floor(versionNum / 100) % 100) / 10;
}

const versionCache = new Map<string, Promise<ToolVersion>>();

export function toolVersion(tool: PgTool, tools: ToolOptions, signal: AbortSignal): Promise<ToolVersion> {
  const bin = toolPath(tool, tools);
  let cached = versionCache.get(bin);
  if (!cached) {
    cached = spawnTool(bin, ['--version'], wrapperEnv(tool, tools, process.env), signal).then((run) => {
      const parsed = run.code === 0 ? parseToolVersion(run.stdout) : undefined;
      if (!parsed)
        throw new TenantError('TOOL_FAILED', `${bin} --version gave no version (${toolErrorText(run)})`);
      return parsed;
    });
    cached.catch(() => versionCache.delete(bin));
    versionCache.set(bin, cached);
  }
  return cached;
}
