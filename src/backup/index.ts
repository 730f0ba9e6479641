export type {
  Fingerprint,
  FingerprintLevel,
  TableFingerprint,
  ToolOptions,
} from '../dialect/backup-types.js';
export { FINGERPRINT_LEVELS } from '../dialect/backup-types.js';
export { type CheckOutcome, checkBackup } from './checks.js';
export { compareFingerprints, describeDifferences, type FingerprintDifference } from './compare.js';
export type { BackupDetails, BackupSummary, CheckRecord, RestoredFrom, VerifiedLevel } from './context.js';
export { prepareBackupDir, tenantDir } from './files.js';
export {
  type BackupOptions,
  backup,
  type RestoreOptions,
  restore,
  restoreTenant,
  type VerifyOptions,
  verify,
} from './fleet.js';
export { type BackupEntry, type BackupManifest, listBackups, parseManifest } from './manifest.js';
export { type RestoreTenantOptions, restoreFromBackup } from './restore.js';
export { applyRetention, planRetention, type RetentionItem, type RetentionPlan } from './retention.js';
export { parseSample, pickSample, type SampleSpec, sampleSize } from './sample.js';
export { type BackupSelector, selectBackup } from './select.js';
export { type BackupTenantOptions, backupTenant } from './take.js';
export { type VerifyTenantOptions, verifyTenantBackup } from './verify.js';
