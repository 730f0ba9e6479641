import { basename } from 'node:path';
import { TenantError } from '../core/errors.js';
import type { TenantContext } from '../fleet/run-fleet.js';
import { tenantDir } from './files.js';
import { otherOwner } from './identity.js';
import { type BackupEntry, entryForPath, isVerified, listBackups } from './manifest.js';

/** `--backup latest` (default) or `--backup <path>` (a backup file or its manifest). */
export type BackupSelector = 'latest' | (string & {});

/**
 * Finds the backup to verify or restore. `latest` is the newest backup with a readable manifest — for
 * restore, the newest one that passed verification (a newer unverified backup is not a restore point).
 *
 * A backup newer than that one whose manifest cannot be read is MANIFEST_INVALID: silently taking an
 * older backup verified the wrong file and restored older data than the operator expected. Naming a
 * backup with `--backup <path>` is how to use an older one on purpose.
 */
export async function selectBackup(
  ctx: TenantContext,
  backupDir: string,
  selector: BackupSelector,
  options: { verifiedOnly: boolean },
): Promise<BackupEntry & { passedOver?: PassedOver }> {
  if (selector !== 'latest') return entryForPath(selector);
  const dir = tenantDir(backupDir, ctx.tenant.id);
  const all = await listBackups(dir);
  // Another environment's tenant of the same id may share the folder: only this database's backups.
  const entries = all.filter((e) => e.manifest && otherOwner(e.manifest, ctx.tenant) === undefined);
  const pick = options.verifiedOnly ? entries.find((e) => isVerified(e.manifest)) : entries[0];
  // File names are timestamps: a damaged manifest has no created_at to sort by, its name still dates it.
  const damaged = all
    .filter((e) => !e.manifest && (!pick || basename(e.path) > basename(pick.path)))
    .sort((a, b) => (basename(a.path) < basename(b.path) ? 1 : -1))[0];
  if (damaged) {
    throw new TenantError(
      'MANIFEST_INVALID',
      `the backup ${damaged.path} of ${ctx.tenant.id} cannot be used: ${damaged.manifestPath}: ${damaged.problem ?? 'unreadable'}; it is newer than ${pick ? pick.path : 'any other backup'}, so it is not skipped (repair or remove it, or name a backup with --backup)`,
    );
  }
  if (!pick) {
    const what = options.verifiedOnly && entries.length ? 'no verified backup' : 'no backup';
    throw new TenantError('NO_BACKUP', `${what} of ${ctx.tenant.id} in ${dir}`);
  }
  if (options.verifiedOnly && pick !== entries[0] && entries[0]) {
    const newest = entries[0];
    const why =
      newest.manifest?.verification?.ok === false
        ? `its ${newest.manifest.verification.level} verification failed`
        : 'it is not verified';
    ctx.emit({
      type: 'notice',
      tenantId: ctx.tenant.id,
      level: 'warn',
      message: `the newest backup ${newest.path} is not used (${why}); using ${pick.path}`,
    });
    // In the report too (--json has no notices): older data than the newest backup is being restored.
    return { ...pick, passedOver: { path: newest.path, why } };
  }
  return pick;
}

/** The newest backup `latest` did not take for a restore, and why: the report says so. */
export interface PassedOver {
  path: string;
  why: string;
}
