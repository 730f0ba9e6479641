import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { fsyncDir, fsyncFile } from '../util/fsync.js';

/**
 * The backup directory on disk: `<backup-dir>/<tenant>/<timestamp>.<ext>` with the manifest beside it.
 * Files are 0600 in 0700 directories (a dump holds every customer's data), written under a temporary
 * name, fsync'd, and renamed only once complete, so a final name always means a whole file.
 */

/**
 * Checks the backup directory once per run, before any tenant starts: a path that is not a directory
 * or cannot be written is a setup error (exit 2), not a thousand identical tenant failures.
 */
export async function prepareBackupDir(
  dir: string,
  options: { create: boolean; writable: boolean },
): Promise<string> {
  const path = resolve(dir);
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw new UsageError(`backup directory ${path} cannot be read: ${err.code ?? err.message}`);
  });
  if (info && !info.isDirectory()) throw new UsageError(`backup directory ${path} is not a directory`);
  if (!info) {
    if (!options.create) throw new UsageError(`backup directory ${path} does not exist`);
    await mkdir(path, { recursive: true, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ENOTDIR' || err.code === 'EEXIST'
          ? `a part of its path is not a directory (${err.code})`
          : (err.code ?? err.message);
      throw new UsageError(`backup directory ${path} cannot be created: ${why}`);
    });
  }
  if (options.writable) {
    try {
      await writeProbe(path);
    } catch (err) {
      throw new UsageError(
        `backup directory ${path} is not writable: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  }
  return path;
}

/**
 * Creates and removes an empty file in `dir`; throws the OS error when it cannot. access(W_OK) says yes
 * to root on a read-only or immutable directory: only a real write tells.
 */
export async function writeProbe(dir: string): Promise<void> {
  const probe = join(dir, `.dbfleet-probe-${randomBytes(4).toString('hex')}`);
  await writeFile(probe, '', { flag: 'wx', mode: 0o600 });
  await rm(probe, { force: true });
}

/** A tenant id as one safe path component (ids are usually safe already and stay readable). */
export function tenantDirName(tenantId: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(tenantId) && tenantId.length <= 200) return tenantId;
  return `_${encodeURIComponent(tenantId).replace(/\./g, '%2E').replace(/%/g, '_')}`.slice(0, 200);
}

export function tenantDir(backupDir: string, tenantId: string): string {
  return join(backupDir, tenantDirName(tenantId));
}

export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}

/** `20250107T093015123Z`: sorts by time as text, no characters a filesystem or shell dislikes. */
export function backupStamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

export interface BackupPaths {
  path: string;
  manifestPath: string;
  tmpPath: string;
}

export const MANIFEST_SUFFIX = '.manifest.json';

export function manifestPathFor(backupPath: string): string {
  return `${backupPath}${MANIFEST_SUFFIX}`;
}

/** Picks a free timestamped name (a later millisecond when two backups start in the same one). */
export async function reserveBackupPaths(
  dir: string,
  extension: string,
  now = new Date(),
): Promise<BackupPaths> {
  for (let ms = now.getTime(); ; ms++) {
    const path = join(dir, `${backupStamp(new Date(ms))}.${extension}`);
    const taken = await Promise.all(
      [path, manifestPathFor(path)].map((p) =>
        stat(p).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (taken.some(Boolean)) continue;
    const tmpPath = join(
      dir,
      `.${backupStamp(new Date(ms))}.${extension}.partial-${randomBytes(4).toString('hex')}`,
    );
    // Created empty and private before any tool writes into it: the tool keeps the mode.
    await writeFile(tmpPath, '', { flag: 'wx', mode: 0o600 });
    return { path, manifestPath: manifestPathFor(path), tmpPath };
  }
}

export { fsyncDir, fsyncFile };

/** Complete file under its final name or nothing: temp file, fsync, rename, fsync the directory. */
export async function atomicWriteFile(path: string, data: string): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx', mode: 0o600 });
    await fsyncFile(tmp);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  await fsyncDir(dirname(path));
}

/**
 * Read size for hashing: the stream's default 64 KiB made a 240 MB dump ~3,700 reads and events, and the
 * hash took 1.8x as long as hashing the same bytes at once (576 vs 317 ms here).
 */
const HASH_READ_BYTES = 1024 * 1024;

/** Streams the file: a 100 GB dump is hashed without holding it in memory. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: HASH_READ_BYTES })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

/** A killed run's leftovers: a backup's partial file, or atomicWriteFile's temporary (a manifest's). */
const PARTIAL_NAME = /^\..*\.partial-[0-9a-f]+$|^\.[0-9a-f]{12}\.tmp$/;
const FAILED_NAME = /^\..*\.failed(\.json)?$/;
/** How long a backup that failed its verification is kept for inspection. */
export const FAILED_KEEP_MS = 7 * 24 * 3600_000;

/**
 * Leftovers are removed: partial files of a killed run older than a day (no live backup runs that long),
 * and failed backups kept for inspection older than FAILED_KEEP_MS. Best effort: on a read-only backup
 * volume (verify and restore open it so) a leftover that cannot be removed must not fail the tenant.
 */
export async function removeStalePartials(
  dir: string,
  names: readonly string[],
  maxAgeMs = 24 * 3600_000,
): Promise<void> {
  for (const name of names) {
    const maxAge = PARTIAL_NAME.test(name) ? maxAgeMs : FAILED_NAME.test(name) ? FAILED_KEEP_MS : undefined;
    if (maxAge === undefined) continue;
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > maxAge)
      await rm(join(dir, name), { force: true }).catch(() => {});
  }
}

/** `<dir>/.<name>.failed`: hidden, so never listed, selected, restored or counted by retention. */
export function failedPathFor(backupPath: string): string {
  return join(dirname(backupPath), `.${basename(backupPath)}.failed`);
}

/**
 * A backup that failed its verification leaves its final name — a final name means a good, whole file —
 * and is kept beside it under a failed name (its manifest, with the verdict, as `<failed>.json`) for a
 * DBA to inspect, until FAILED_KEEP_MS. The file goes first: a crash in between leaves a manifest
 * without its file (listed as missing, cleaned by retention), never an unlisted final-named file.
 * Returns where the file is now.
 */
export async function setAsideFailedBackup(path: string, manifestPath: string): Promise<string> {
  const failed = failedPathFor(path);
  await rename(path, failed).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(manifestPath, `${failed}.json`).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await fsyncDir(dirname(path));
  return failed;
}
