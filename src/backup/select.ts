import { TenantError } from '../core/errors.js';
import type { TenantContext } from '../fleet/run-fleet.js';
import { tenantDir } from './files.js';
import { type BackupEntry, entryForPath, isVerified, listBackups } from './manifest.js';

/** `--backup latest` (default) or `--backup <path>` (a backup file or its manifest). */
export type BackupSelector = 'latest' | (string & {});

/**
 * Finds the backup to verify or restore. `latest` is the newest backup with a readable manifest — for
 * restore, the newest one that passed verification (a newer unverified backup is not a restore point).
 */
export async function selectBackup(
  ctx: TenantContext,
  backupDir: string,
  selector: BackupSelector,
  options: { verifiedOnly: boolean },
): Promise<BackupEntry> {
  if (selector !== 'latest') return entryForPath(selector);
  const entries = (await listBackups(tenantDir(backupDir, ctx.tenant.id))).filter((e) => e.manifest);
  const pick = options.verifiedOnly ? entries.find((e) => isVerified(e.manifest)) : entries[0];
  if (!pick) {
    const what = options.verifiedOnly && entries.length ? 'no verified backup' : 'no backup';
    throw new TenantError(
      'NO_BACKUP',
      `${what} of ${ctx.tenant.id} in ${tenantDir(backupDir, ctx.tenant.id)}`,
    );
  }
  if (options.verifiedOnly && pick !== entries[0]) {
    ctx.emit({
      type: 'notice',
      tenantId: ctx.tenant.id,
      level: 'warn',
      message: `the newest backup ${entries[0]?.path} is not verified; using ${pick.path}`,
    });
  }
  return pick;
}
