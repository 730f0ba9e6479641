import { UsageError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';
import { listed } from './preflight.js';
import type { UpgradeOperations } from './types.js';

/**
 * Before the first wave: the backup folder, and each tenant's folder in it, can take this run's backups.
 * A folder this process cannot write (a file in its place, another user's folder, a read-only mount) is
 * this machine's setup, not the tenant's state, and each tenant found it only at its backup — after its
 * beforeTenant hook had closed it to its users, and every tenant again. The run is refused (exit 2),
 * naming the folders and the OS cause.
 */
export async function checkBackupFolders(
  operations: Pick<UpgradeOperations, 'backupFolderProblems'>,
  tenants: readonly Tenant[],
): Promise<void> {
  const problems = (await operations.backupFolderProblems?.(tenants.map((t) => t.id))) ?? [];
  if (problems.length === 0) return;
  throw new UsageError(
    `pre-flight refused the upgrade; nothing was changed.\nbackups: ${problems.length} tenant backup folder(s) cannot be written (each tenant would be closed to its users, then fail its backup): fix the folder, or leave the tenant out with --exclude:\n${listed(problems)}`,
  );
}
