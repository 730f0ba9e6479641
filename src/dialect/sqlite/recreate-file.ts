import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, TenantError } from '../../core/errors.js';
import { fsyncDir, fsyncFile } from '../../util/fsync.js';
import { copyDatabase, openReadOnly } from './copy-database.js';

/** What SQLite keeps beside a database file: a hot journal or a WAL is replayed into the file of that name. */
const COMPANIONS = ['-journal', '-wal', '-shm'];

export function fileIsThere(path: string): boolean {
  try {
    lstatSync(path); // a dangling symbolic link is there too: it is not ours to replace
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes the archive as the tenant's database file `dest`, which does not exist (deleted, or moved away):
 * copied into a private temporary file in the same folder, fsync'd, then linked to its name and the
 * folder fsync'd. A file at `dest` is therefore always the whole backup; interrupted or failed, nothing is
 * left. Returns false, writing nothing there, when a file appeared at `dest` meanwhile (an application
 * created it): the caller restores into that one as into any existing database, under the tenant's lock.
 *
 * Refused, creating nothing: a missing folder (the path in the inventory is wrong, or a volume is not
 * mounted — creating folders would hide that and restore where nobody looks), and the deleted file's
 * journal or WAL still beside it (SQLite would replay it into the new file: a corrupt restore).
 */
export async function recreateSqliteFile(
  archive: string,
  dest: string,
  signal: AbortSignal,
  options: { wal: boolean } = { wal: false },
): Promise<boolean> {
  const dir = dirname(dest);
  const folder = (() => {
    try {
      return statSync(dir);
    } catch {
      return undefined;
    }
  })();
  if (!folder?.isDirectory())
    throw new TenantError(
      'UNREACHABLE',
      `cannot restore ${dest}: its folder ${dir} does not exist, and a restore does not create folders (is the tenant's path right, the volume mounted?); nothing was restored`,
    );
  const leftovers = COMPANIONS.map((s) => `${dest}${s}`).filter(fileIsThere);
  if (leftovers.length)
    throw new TenantError(
      'RESTORE_FAILED',
      `cannot restore ${dest}: the file is gone but ${leftovers.map((p) => basename(p)).join(', ')} of it ${leftovers.length === 1 ? 'is' : 'are'} still there, and SQLite would replay ${leftovers.length === 1 ? 'it' : 'them'} into the restored file; move ${leftovers.length === 1 ? 'it' : 'them'} away with the database (or delete ${leftovers.length === 1 ? 'it' : 'them'}) and restore again. Nothing was restored`,
    );
  removeStaleTemporaries(dir, basename(dest));
  // Private while it is written; dbfleet's backups are 0600 too.
  const tmp = join(dir, `.${basename(dest)}.restore-${randomBytes(4).toString('hex')}`);
  let published = false;
  try {
    writeFileSync(tmp, '', { flag: 'wx', mode: 0o600 });
    await writeFrom(archive, tmp, dest, signal, options.wal);
    published = publish(tmp, dest);
  } catch (err) {
    if (err instanceof TenantError) throw err;
    throw new TenantError(
      'RESTORE_FAILED',
      `cannot restore ${dest}: ${errorMessage(err)}; nothing was restored`,
    );
  } finally {
    for (const suffix of ['', ...COMPANIONS]) rmSync(`${tmp}${suffix}`, { force: true });
  }
  if (published) await fsyncDir(dir);
  return published;
}

/** The archive into `tmp` through the backup API (a copy of what SQLite reads, not of the bytes), fsync'd. */
async function writeFrom(
  archive: string,
  tmp: string,
  dest: string,
  signal: AbortSignal,
  wal: boolean,
): Promise<void> {
  const source = openReadOnly(archive);
  try {
    await copyDatabase(source, tmp, signal);
    // The archive is in rollback-journal mode; a tenant that was in WAL mode gets it back, as a restore
    // into its existing file keeps it (the application's readers may count on it). Set before the file
    // has its name: closing the only connection checkpoints and removes the temporary's -wal.
    if (wal) setWal(tmp);
  } catch (err) {
    if (err instanceof TenantError) throw err;
    const full = (err as { code?: unknown }).code === 'SQLITE_FULL';
    throw new TenantError(
      full ? 'DISK_FULL' : 'RESTORE_FAILED',
      `writing ${dest} from the backup: ${errorMessage(err)}; nothing was restored`,
    );
  } finally {
    source.close();
  }
  await fsyncFile(tmp);
  if (signal.aborted)
    throw new TenantError('INTERRUPTED', 'restore stopped: the run was interrupted; nothing was restored');
}

function setWal(path: string): void {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

/** Gives the written file its name unless one is there: link() never replaces, rename() would. */
function publish(tmp: string, dest: string): boolean {
  try {
    linkSync(tmp, dest);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A filesystem without hard links: rename, after one more look (a file appearing in between is replaced).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    if (fileIsThere(dest)) return false;
    renameSync(tmp, dest);
    return true;
  }
}

/** No restore of one file takes a day: a temporary file that old is a killed run's (kill -9 during the copy). */
const STALE_MS = 24 * 3600_000;

/** Removes the temporary files killed restores of `name` left in `dir` (best effort). */
function removeStaleTemporaries(dir: string, name: string): void {
  const prefix = `.${name}.restore-`;
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(prefix)) continue;
    const path = join(dir, entry);
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    } catch {
      // gone meanwhile, or not ours to remove: the restore goes on
    }
  }
}
