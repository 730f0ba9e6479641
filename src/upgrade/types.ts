import { z } from 'zod';
import { fingerprintSchema } from '../backup/manifest.js';
import type { BackupAbsence } from '../backup/presence.js';
import type { ErrorInfo } from '../core/errors.js';
import type { Fingerprint } from '../dialect/backup-types.js';
import type { SetEntry } from '../fleet/definition-set.js';
import type { TenantContext } from '../fleet/run-fleet.js';
import type { HistoryOptions } from '../migration/history-location.js';
import type { CheckDefinition, HookContext, HookDefinition } from './checks.js';

/** The runbook, per tenant, in order. */
export const UPGRADE_STEPS = [
  'before-tenant',
  'backup-pre',
  'verify-pre',
  'migrate',
  'optimize',
  'checks',
  'backup-post',
  'verify-post',
  'after-tenant',
] as const;
export type UpgradeStep = (typeof UPGRADE_STEPS)[number] | 'rollback';

export type OnFailure = 'rollback' | 'stop' | 'continue';
export type RollbackWith = 'restore' | 'down';

/** What a finished step left for later steps (and for `--resume` and `rollback --run`). */
export type StepData = Record<string, unknown>;

export interface StepRecord {
  step: string;
  status: 'succeeded' | 'failed' | 'skipped' | 'running';
  data?: StepData;
  error?: ErrorInfo;
}

export interface BackupTaken {
  path: string;
  bytes: number;
  sha256: string;
  /** The fingerprint of the source at backup time (for the rollback's comparison). */
  fingerprint: Fingerprint;
  /**
   * Pre-upgrade backup: how many migrations the tenant's history held then. A resumed run finds what the
   * killed run applied but had not journaled yet after these (see `appliedSince`).
   */
  historyRows?: number;
}

const backupTakenSchema = z.object({
  path: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  fingerprint: fingerprintSchema,
  historyRows: z.number().int().nonnegative().optional(),
});

/**
 * A backup step's data as the journal holds it (JSON, maybe written by another version): a resumed run or
 * `rollback --run` uses it only when it has the shape, never a fingerprint it cannot read.
 */
export function backupTakenOf(data: unknown): BackupTaken | undefined {
  const parsed = backupTakenSchema.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The operations the pipeline composes. Real ones bind backups, migrations and optimizations
 * (`createUpgradeOperations`); tests pass in-memory fakes to exercise the pipeline's decisions.
 */
export interface UpgradeOperations {
  /** Takes the tenant's `label`-upgrade backup for run `runId` (its manifest says so: see retention). */
  backup(ctx: TenantContext, label: 'pre' | 'post', runId: string): Promise<BackupTaken>;
  /**
   * Verifies a backup of this upgrade. `justTaken`: this process wrote and hashed it moments ago (not a
   * backup a killed run journaled): its sha256 need not be read back, as `backup --verify` does not.
   */
  verify(
    ctx: TenantContext,
    backup: BackupTaken,
    deep: boolean,
    justTaken: boolean,
  ): Promise<{ verified: 'light' | 'deep' }>;
  /**
   * `unchanged`: the migration failed before it changed anything — refused before the first one ran
   * (lock held, history problems) or the first one failed inside its transaction — so there is nothing
   * to roll back.
   */
  migrate(
    ctx: TenantContext,
    /** What this run applied to the tenant before it was stopped (resume): the rest joins that batch. */
    appliedBefore?: readonly string[],
  ): Promise<{ applied: string[]; current: string | null; error?: ErrorInfo; unchanged?: boolean }>;
  /**
   * The migrations the tenant's history holds after its first `historyRows`, in the order they were
   * applied, of the batch the first of them is in: what an upgrade applied since its pre-upgrade backup,
   * journaled or not (read by `--resume` and by `rollback --run --with down`).
   */
  appliedSince?(ctx: TenantContext, historyRows: number): Promise<string[]>;
  /**
   * Takes and releases the tenant's migration lock before anything is done to it: a tenant another
   * runner holds is skipped (LOCKED) before it is closed or backed up.
   */
  probeLock?(ctx: TenantContext): Promise<void>;
  /**
   * Why the backups of these tenants could not be written: the backup folder (thrown), each tenant's
   * folder in it (a line each that cannot). Asked before the first wave, so a folder this process cannot
   * write refuses the run instead of failing each tenant at its backup, after its beforeTenant hook.
   */
  backupFolderProblems?(tenantIds: readonly string[]): Promise<string[]>;
  optimize(ctx: TenantContext): Promise<{ optimizations: unknown[]; error?: ErrorInfo }>;
  /** Restores the pre-upgrade backup into the tenant and checks its fingerprint equals the backup's. */
  restore(ctx: TenantContext, backup: BackupTaken): Promise<void>;
  /** The tenant's database is not there (a file dialect's deleted file): a restore recreates it. */
  databaseGone?(ctx: TenantContext): boolean;
  /**
   * What is missing of a backup (file, manifest) or why its manifest cannot be read; undefined: it is
   * there. Presence only: `rollback --run` asks it before it closes a tenant (none: not checked).
   */
  backupAbsence?(backup: BackupTaken): Promise<BackupAbsence | undefined>;
  /**
   * Runs down() for those of the given migrations the tenant has applied (newest first; never for one it
   * has not), then checks the fingerprint equals `expected` — dbfleet's bookkeeping tables aside, and the
   * indexes optimizations built (downs do not undo them): those are told to `onKept`. Throws
   * ROLLBACK_MISMATCH for anything else that differs. Returns the ones it ran, newest first (undefined: all).
   */
  down(
    ctx: TenantContext,
    applied: readonly string[],
    expected: Fingerprint | undefined,
    /** Told each migration as its down commits: what a rollback that fails half-way did revert. */
    onReverted?: (name: string) => void,
    /** Told what stays although it was not there before the upgrade (`kept: index … built by …`). */
    onKept?: (note: string) => void,
  ): Promise<readonly string[] | undefined | void>;
  /**
   * The migrations and optimizations these operations run, by name and checksum: a queued run's jobs
   * carry the coordinator's, and a worker whose own differ refuses them.
   */
  definitions?: { migrations: readonly SetEntry[]; optimizations: readonly SetEntry[] };
}

export interface PipelineSettings {
  runId: string;
  hooks: { beforeTenant?: HookDefinition; afterTenant?: HookDefinition };
  checks: readonly CheckDefinition[];
  onFailure: OnFailure;
  rollbackWith: RollbackWith;
  /** Deep-verify the pre-upgrade backup (restore into scratch + fingerprint); default light. */
  deepVerify: boolean;
  /** Skip backups (and so rollback by restore) — for fleets whose backups are handled elsewhere. */
  skipBackup: boolean;
  /** Awaited after every step: the journal's checkpoint. */
  checkpoint(): Promise<void>;
  /** knex's tableName/schemaName, to read the version after a rollback. */
  history?: HistoryOptions;
}

export interface UpgradeDetails {
  steps: { step: string; status: string; durationMs: number }[];
  applied: string[];
  backups: { pre?: string; post?: string };
  rolledBack?: boolean;
  /** open: users let back in; closed: still in maintenance (failed, rolled back, or rollback failed). */
  maintenance: 'open' | 'closed' | 'untouched';
  needsAttention?: string;
  [key: string]: unknown;
}

export type { HookContext };
