import type { ErrorCode } from '../core/error-codes.js';

/**
 * The failures that are a verdict on the backup itself: what the file, its manifest or a restored copy
 * of it showed. Only these are recorded in its manifest (`verification.ok: false`) and set a fresh
 * backup aside. Anything else — the run was interrupted, the scratch database could not be created, the
 * server, a tool, a disk, a permission, or a backup that is another tenant's (not this tenant's to judge)
 * — fails the tenant with its cause and leaves the backup and its recorded verdict as they were: a good
 * backup must not stop being a restore point because the check of it could not run.
 *
 * RESTORE_FAILED is the scratch restore refusing the archive: the dialects report the environmental
 * causes of a failed scratch restore (lost connection, full disk, interrupt) with their own codes.
 */
const VERDICT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'MANIFEST_INVALID',
  'BACKUP_MISSING',
  'BACKUP_EMPTY',
  'BACKUP_TRUNCATED',
  'BACKUP_SIZE_MISMATCH',
  'BACKUP_CHECKSUM_MISMATCH',
  'BACKUP_UNREADABLE',
  'BACKUP_INCOMPLETE',
  'RESTORE_FAILED',
  'INTEGRITY_FAILED',
  'FINGERPRINT_MISMATCH',
]);

export function isBackupVerdict(code: string): boolean {
  return VERDICT_CODES.has(code as ErrorCode);
}
