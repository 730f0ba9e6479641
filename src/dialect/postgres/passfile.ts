import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TenantError } from '../../util/errors.js';
import { processExists } from '../../util/process-alive.js';

/**
 * A tenant's password reaches pg_dump / pg_restore through a PGPASSFILE: a 0600 file in a 0700
 * directory, made for one tool run and removed when it ends, or on exit when a run is cut short.
 * A dbfleet killed with SIGKILL cannot remove its files; the directory name carries the pid, so the
 * next dbfleet to need one removes those whose owner is gone.
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
process.once('exit', () => {
  for (const dir of livePassDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Removes password directories left by dbfleet processes that no longer exist. The age check keeps
 * this safe where /tmp is shared across pid namespaces (a pid that looks gone may be alive
 * elsewhere): libpq reads the file only when it connects, at the start of a tool run.
 */
export function sweepStalePassDirs(dir = tmpdir(), minAgeMs = 10 * 60_000): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(OWNED_DIR.exec(name)?.[1]);
    if (!pid || pid === process.pid || processExists(pid)) continue;
    const path = join(dir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs < minAgeMs) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // another user's directory, or removed meanwhile: not ours to clean
    }
  }
  return removed;
}

let swept = false;

export async function withPassfile<T>(password: unknown, fn: (passfile?: string) => Promise<T>): Promise<T> {
  if (typeof password !== 'string' || password === '') return fn(undefined);
  const line = passfileLine(password);
  if (!swept) {
    swept = true;
    sweepStalePassDirs();
  }
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`)); // mode 0700
  livePassDirs.add(dir);
  try {
    const file = join(dir, 'pgpass');
    await writeFile(file, line, { mode: 0o600, flag: 'wx' });
    return await fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    livePassDirs.delete(dir);
  }
}
