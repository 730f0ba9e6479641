import type { VerifiedLevel } from '../backup/context.js';
import type { ErrorCode, ErrorInfo } from '../core/errors.js';

/** The deepest verification that passed for a backup (`light` | `deep`), or false (failed or never verified). */
export type { VerifiedLevel };

/** Nearest-rank percentiles of a set of durations (ms); all null when there is none. */
export interface DurationStats {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface ReportRun {
  runId: string;
  command: string;
  /** running | finished | interrupted, as journaled. */
  status: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  options: Record<string, unknown> | null;
}

/**
 * A tenant's schema version as the journal knows it: the newest migration applied (`name`; null for a
 * database with none applied) and the run that established it. The document holds null when no run says.
 */
export interface TenantVersion {
  name: string | null;
  runId: string;
  source: 'migrate-step' | 'result' | 'migration-log' | 'rollback-step';
}

/** The newest backup the journal knows of for a tenant, with its newest verification verdict. */
export interface BackupInfo {
  path: string;
  bytes: number | null;
  sha256: string | null;
  /** When it was written; null when the journal only saw it being verified (`dbfleet verify`). */
  takenAt: string | null;
  /** The run that wrote it (or, with takenAt null, that verified it). */
  runId: string;
  /** The step that wrote it: backup-pre, backup-post (upgrade) or backup (the backup command); null as takenAt. */
  step: string | null;
  verified: VerifiedLevel;
  verifiedAt: string | null;
  /** Why the verification failed (or "interrupted"); null when it passed or never ran. */
  verifyError: string | null;
}

export interface StepTiming {
  step: string;
  /** succeeded | failed | skipped | running (run still going) | interrupted (run ended, step never did). */
  status: string;
  startedAt: string;
  durationMs: number | null;
  error: ErrorInfo | null;
}

export interface TenantReport {
  id: string;
  host: string | null;
  wave: number;
  /** succeeded | failed | skipped, or queued | running when the run never finished it. */
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: ErrorInfo | null;
  /** The first step of this run that failed, if any. */
  failedStep: string | null;
  current: TenantVersion | null;
  /** Migrations this run applied (net of ones it reverted). */
  applied: string[];
  backup: BackupInfo | null;
  steps: StepTiming[];
  maintenance: {
    /** Time between the before-tenant hook starting and the after-tenant hook finishing. */
    windowMs: number | null;
    since: string | null;
    /** The window opened and never closed, and the tenant is no longer being worked on. */
    stillIn: boolean;
  };
  problems: string[];
  /** Only when a later `rollback --run` undid this upgrade run for this tenant (see `RunRollback`). */
  rolledBack?: TenantRollback;
}

/** The later `rollback --run` that put one tenant of this upgrade run back to its pre-upgrade state. */
export interface TenantRollback {
  runId: string;
  /** restore: its pre-upgrade backup was restored; down: the run's migrations were reverted. */
  with: 'restore' | 'down';
  /** When the tenant's rollback finished. */
  at: string;
}

/** A later `rollback --run` of this upgrade run, and the tenants it rolled back (it may be partial). */
export interface RunRollback {
  runId: string;
  with: 'restore' | 'down';
  /** Of the rollback run, as journaled (running, finished, interrupted). */
  status: string;
  startedAt: string;
  finishedAt: string | null;
  /** The tenants this run rolled back (a later rollback of the same run found them done). */
  tenants: string[];
}

export interface FleetDocument {
  format: 'dbfleet-report';
  version: 1;
  generatedAt: string;
  run: ReportRun;
  summary: {
    total: number;
    succeeded: number;
    failed: number;
    skipped: number;
    /** Queued or running tenants (the run is in progress, or was killed). */
    unfinished: number;
    /** Tenants with at least one problem. */
    withProblems: number;
  };
  /** Tenants per version, most common first; `known: false` groups tenants whose version the journal lacks. */
  versions: { version: string | null; known: boolean; tenants: number }[];
  failures: { tenantId: string; step: string | null; code: ErrorCode; message: string }[];
  slowest: { tenantId: string; status: string; durationMs: number }[];
  maintenance: { stats: DurationStats; stillIn: string[] };
  /** Per step of the runbook: how often it ran, failed, and how long it took across the fleet. */
  steps: { step: string; count: number; failed: number; stats: DurationStats }[];
  /** Only when the run's backups recorded schema fingerprints (see src/report/drift.ts). */
  drift?: DriftSection;
  /**
   * Only for an upgrade run that a later `rollback --run` undid, for some or all of its tenants: how
   * many, and by which rollback runs (each tenant's `rolledBack` says which one undid it, and when).
   */
  rolledBack?: { tenants: number; runs: RunRollback[] };
  tenants: TenantReport[];
}

/** Tenants whose backup's schema hash differs from the majority of their version's, from this run's backups. */
export interface DriftSection {
  /** Tenants with a fingerprint of this run. */
  tenants: number;
  /** Per version the backups were taken at (`before <migration>` for pre-migration backups). */
  versions: {
    version: string | null;
    /** Set only when the run's backups mix dialects: the groups are then per (dialect, version). */
    dialect?: string;
    tenants: number;
    groups: { schemaHash: string; tenants: number; majority: boolean }[];
  }[];
  /** `differences`: `~ public.users` (its hash differs), `+`/`-` tables and objects only one side has. */
  outliers: {
    tenantId: string;
    version: string | null;
    dialect?: string;
    schemaHash: string;
    expected: string;
    differences: string[];
  }[];
}
