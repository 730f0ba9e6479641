import type { ErrorInfo } from '../core/errors.js';
import type { TenantStatus } from '../core/events.js';
import type {
  ArchiveInfo,
  BackupContext,
  BackupDriver,
  FingerprintLevel,
  ToolOptions,
} from '../dialect/backup-types.js';
import type { SessionOptions } from '../dialect/types.js';
import type { TenantContext } from '../fleet/run-fleet.js';
import type { FingerprintDifference } from './compare.js';
import { tenantDir } from './files.js';
import type { BackupManifest } from './manifest.js';
import type { RetentionResult } from './retention.js';

/** `verified` in the `--json` contract: the deepest verification that passed, or false. */
export type VerifiedLevel = 'light' | 'deep' | false;

/** The per-tenant `backup` field of the `--json` report. */
export interface BackupSummary {
  path: string;
  bytes: number;
  sha256: string;
  verified: VerifiedLevel;
}

export type CheckName =
  | 'manifest'
  | 'file'
  | 'sha256'
  | 'archive'
  | 'restore'
  | 'integrity'
  | 'fingerprint'
  | 'cleanup';

/** One check that ran, in order: the report says what was verified, not just whether. */
export interface CheckRecord {
  check: CheckName;
  ok: boolean;
  detail?: string;
}

/** Per-tenant details of backup, verify and restore; `backup` is null when there is no file to show. */
export type BackupDetails = {
  backup: BackupSummary | null;
  checks?: CheckRecord[];
  differences?: FingerprintDifference[];
  fingerprint?: { level: FingerprintLevel; tables: number };
  retention?: RetentionResult;
  /** Scratch databases/files of killed runs that this run dropped. */
  swept?: string[];
  restored?: boolean;
  /** `restore --backup latest` took an older backup: the newest one, and why it was not used. */
  passedOver?: { path: string; why: string };
  /** Which backup a restore brought back, once it did (see `RestoredFrom`). */
  restoredFrom?: RestoredFrom;
  /** What an operator should know about the choice: `latest` skipped a rolled-back run's backup. */
  notes?: string[];
};

/**
 * The backup a restore brought back: when it was taken, the upgrade run that took it (before or after
 * its migrations; null for `backup`'s own), and the migration version it holds — the newest migration
 * in the restored tenant's history, null when none; absent when that could not be read.
 */
export interface RestoredFrom {
  path: string;
  takenAt: string;
  run: string | null;
  stage: 'pre' | 'post' | null;
  migration?: string | null;
}

/** What every per-tenant operation needs besides the tenant's context. */
export interface BackupRunSettings {
  /** Absolute, already checked (see `prepareBackupDir`). */
  backupDir: string;
  sessionOptions: SessionOptions;
  tools: ToolOptions;
}

export function driverOf(ctx: TenantContext): BackupDriver {
  return ctx.adapter.backup;
}

export function backupContextOf(
  ctx: TenantContext,
  settings: BackupRunSettings,
  workDir?: string,
): BackupContext {
  return {
    tenant: ctx.tenant,
    session: ctx.session,
    releaseSession: ctx.releaseSession,
    secondConnection: ctx.secondConnection,
    sessionOptions: settings.sessionOptions,
    signal: ctx.signal,
    tools: settings.tools,
    workDir: workDir ?? tenantDir(settings.backupDir, ctx.tenant.id),
  };
}

export function archiveInfoOf(manifest: BackupManifest): ArchiveInfo {
  return {
    fingerprint: manifest.fingerprint,
    tool: manifest.tool,
    toolVersion: manifest.tool_version,
    serverVersion: manifest.server_version,
    ...(manifest.database_settings ? { databaseSettings: manifest.database_settings } : {}),
  };
}

export function summaryOf(
  path: string,
  manifest: Pick<BackupManifest, 'bytes' | 'sha256'>,
  verified: VerifiedLevel,
): BackupSummary {
  return { path, bytes: manifest.bytes, sha256: manifest.sha256, verified };
}

/** `step:start` now, `step:done` (with duration, error and data) when the returned function is called. */
export function startStep(ctx: TenantContext, step: string) {
  const t0 = Date.now();
  ctx.emit({ type: 'step:start', tenantId: ctx.tenant.id, step, at: t0 });
  return (status: TenantStatus, extra: { error?: ErrorInfo; data?: Record<string, unknown> } = {}) => {
    ctx.emit({
      type: 'step:done',
      tenantId: ctx.tenant.id,
      step,
      status,
      durationMs: Date.now() - t0,
      ...extra,
    });
  };
}
