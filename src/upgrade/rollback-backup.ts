import type { ErrorInfo } from '../core/errors.js';
import type { BackupTaken, UpgradeOperations } from './types.js';

/**
 * Why a `rollback --run --with restore` cannot restore a tenant's pre-upgrade backup, or undefined when
 * it can try. Asked before anything runs on the tenant: a backup retention (`backup --keep`) had deleted
 * used to be found only by the restore, after the beforeTenant hook had closed the tenant — which then
 * stayed closed with nothing restored, and the error (MANIFEST_INVALID) did not say the backup was gone.
 */
export async function unusableBackup(
  operations: Pick<UpgradeOperations, 'backupAbsence'>,
  upgradeRun: string,
  tenantId: string,
  backup: BackupTaken | undefined,
): Promise<ErrorInfo | undefined> {
  const untouched = `nothing was done to ${tenantId}`;
  if (!backup)
    return {
      code: 'NO_BACKUP',
      message: `run ${upgradeRun} has no pre-upgrade backup of ${tenantId} (its backup step did not succeed, or backups were skipped): ${untouched} — use --with down`,
    };
  const absence = await operations.backupAbsence?.(backup);
  if (!absence) return undefined;
  if ('gone' in absence) {
    const what = absence.gone === 'manifest' ? `manifest ${absence.manifestPath}` : absence.gone;
    return {
      code: 'BACKUP_GONE',
      message: `the run's pre-upgrade backup ${backup.path} is gone (its ${what}; deleted by retention? \`backup --keep\` keeps the pre-upgrade backup of the latest upgrade run only): ${untouched} — use --with down, or \`dbfleet restore\` another backup`,
    };
  }
  return {
    code: 'MANIFEST_INVALID',
    message: `the run's pre-upgrade backup ${backup.path} cannot be used: ${absence.manifestPath}: ${absence.invalid}; ${untouched}`,
  };
}
