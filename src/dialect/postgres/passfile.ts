import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TenantError } from '../../core/errors.js';
import {
  currentProcess,
  parseProcessIdentity,
  processExists,
  processState,
} from '../../util/process-alive.js';

/**
 * A tenant's password reaches pg_dump / pg_restore through a PGPASSFILE: a 0600 file in a 0700
 * directory, made for one tool run and removed when it ends, or on exit when a run is cut short.
 * A dbfleet killed with SIGKILL cannot remove its files; the directory name carries the pid and an
 * `owner` file beside the password says which process that was (see ProcessIdentity), so the next
 * dbfleet removes those whose owner is gone at once.
 */

/** One `.pgpass` line matching any server: the file exists for one tool run against one tenant. */
export function passfileLine(password: string): string {
  if (/[\r\n]/.test(password)) {
    throw new TenantError(
      'BAD_PASSWORD',
      'the password contains a line break, which a password file cannot hold',
    );
  }
  return `*:*:*:*:${password.replace(/\\/g, '\\\\').replace(/:/g, '\\:')}\n`;
}

const PREFIX = 'dbfleet-pass-';
const OWNED_DIR = new RegExp(`^${PREFIX}(\\d+)-`);
const livePassDirs = new Set<string>();
let exitCleanupInstalled = false;

/**
 * On exit, the password directories of tool runs cut short go too. Installed by the first run that
 * writes one, not on import: a process that never writes a password file gets no exit listener.
 */
function removeOnExit(dir: string): void {
  livePassDirs.add(dir);
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  process.once('exit', () => {
    for (const live of livePassDirs) rmSync(live, { recursive: true, force: true });
  });
}

const OWNER_FILE = 'owner';
/** How long a directory whose owner we cannot judge (another pid namespace, no owner file) is kept. */
const UNKNOWN_OWNER_MIN_AGE_MS = 10 * 60_000;

function ownerOf(path: string) {
  try {
    return parseProcessIdentity(JSON.parse(readFileSync(join(path, OWNER_FILE), 'utf8')));
  } catch {
    return undefined; // no owner file (yet, or an older dbfleet), or not readable: not judged by it
  }
}

/**
 * Removes password directories left by dbfleet processes that no longer exist. A directory whose owner
 * file shows a process of this machine, boot and pid namespace that is gone (its pid free or reused by
 * a process started at another time) goes at once. One whose owner cannot be judged — another pid
 * namespace sharing /tmp, where its pid means nothing to us, or no owner file — goes only when its pid
 * is unknown here and it is older than `minAgeMs`: libpq reads the file only when it connects, at the
 * start of a tool run.
 */
export function sweepStalePassDirs(dir = tmpdir(), minAgeMs = UNKNOWN_OWNER_MIN_AGE_MS): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(OWNED_DIR.exec(name)?.[1]);
    if (!pid) continue;
    const path = join(dir, name);
    try {
      const owner = ownerOf(path);
      const state = owner && owner.pid === pid ? processState(owner) : 'unknown';
      if (state === 'alive') continue;
      if (state === 'unknown') {
        if (pid === process.pid || processExists(pid)) continue;
        if (Date.now() - statSync(path).mtimeMs < minAgeMs) continue;
      }
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // another user's directory, or removed meanwhile: not ours to clean
    }
  }
  return removed;
}

let swept = false;

/** The first call in a process sweeps: what a killed dbfleet left goes as soon as the next one runs. */
export function sweepStalePassDirsOnce(): void {
  if (swept) return;
  swept = true;
  sweepStalePassDirs();
}

export async function withPassfile<T>(password: unknown, fn: (passfile?: string) => Promise<T>): Promise<T> {
  if (typeof password !== 'string' || password === '') return fn(undefined);
  const line = passfileLine(password);
  sweepStalePassDirsOnce();
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`)); // mode 0700
  removeOnExit(dir);
  try {
    // The owner first: a sweeper that sees the directory before it is written keeps it (unknown owner).
    writeFileSync(join(dir, OWNER_FILE), JSON.stringify(currentProcess()), { mode: 0o600 });
    const file = join(dir, 'pgpass');
    await writeFile(file, line, { mode: 0o600, flag: 'wx' });
    return await fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    livePassDirs.delete(dir);
  }
}
