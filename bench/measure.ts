import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PG_BENCH_URL } from './fleet.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Children still running, so Ctrl-C can stop them before the bench drops their databases. */
export const liveChildren = new Set<ChildProcess>();

export interface ChildRun {
  wallMs: number;
  /** Peak resident set of the child (kB), from GNU time; undefined where /usr/bin/time is missing. */
  maxRssKb?: number;
  userS?: number;
  sysS?: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs a command (argument array, no shell) and times it from spawn to exit. Under GNU time when it is
 * installed, which reports the child's peak RSS (getrusage's ru_maxrss, i.e. the kernel's VmHWM).
 */
export function runChild(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; measureRss?: boolean } = {},
): Promise<ChildRun> {
  const useTime = options.measureRss !== false && existsSync(GNU_TIME);
  const dir = useTime ? mkdtempSync(join(tmpdir(), 'dbfleet-bench-time-')) : undefined;
  const timeFile = dir ? join(dir, 'time.txt') : undefined;
  const [bin, argv] = timeFile ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveChildren.add(child);
    const stdout: string[] = [];
    const stderr: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => stdout.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
    child.once('error', (err) => {
      liveChildren.delete(child);
      reject(err);
    });
    child.once('close', (code) => {
      const wallMs = performance.now() - t0;
      liveChildren.delete(child);
      const run: ChildRun = { wallMs, code, stdout: stdout.join(''), stderr: stderr.join('') };
      if (timeFile && existsSync(timeFile)) {
        // GNU time prefixes "Command exited with non-zero status N" on failure: the figures are the last line.
        const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
        const [user, sys, rss] = last.split(' ').map(Number);
        if (Number.isFinite(rss)) Object.assign(run, { userS: user, sysS: sys, maxRssKb: rss });
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
      resolve(run);
    });
  });
}

export interface ConnectionPeak {
  /** Most backends connected to the tenant databases at once. */
  peak: number;
  samples: number;
}

/**
 * Samples `pg_stat_activity` every ~20 ms from its own connection (to the maintenance database, so it is
 * never counted) and keeps the most backends seen on the tenant databases at once.
 */
export async function sampleConnections(
  tenantPattern: string,
  everyMs = 20,
): Promise<{ stop(): Promise<ConnectionPeak> }> {
  const client = new pg.Client({ connectionString: PG_BENCH_URL, application_name: 'dbfleet-bench-sampler' });
  await client.connect();
  let peak = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ n: number }>(
        'select count(*)::int as n from pg_stat_activity where datname ~ $1',
        [tenantPattern],
      );
      peak = Math.max(peak, rows[0]!.n);
      samples++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      return { peak, samples };
    },
  };
}
