import { randomInt } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';
import { FINGERPRINT_LEVELS, type FingerprintLevel, type ToolOptions } from '../dialect/backup-types.js';
import { checkChoice } from '../fleet/check-options.js';
import { type FleetOptions, fanOutOf, sessionOptionsOf } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import { runFleet, type TaskOutcome, type TenantContext, withTenantArgs } from '../fleet/run-fleet.js';
import { checkVerbOptions, FOLDER, TOOLS } from '../fleet/verb-options.js';
import type { BackupDetails, BackupRunSettings } from './context.js';
import { prepareBackupDir } from './files.js';
import { restoreFromBackup } from './restore.js';
import { withRolledBackRuns } from './rolled-back-runs.js';
import { parseSample, pickSample } from './sample.js';
import type { BackupSelector } from './select.js';
import { backupTenant } from './take.js';
import { verifyTenantBackup } from './verify.js';

export interface BackupCommonOptions extends FleetOptions {
  backupDir: string;
  /** Paths of external tools (`pg_dump`, `pg_restore`); default: found on PATH. */
  tools?: ToolOptions;
  runId?: string;
}

export interface BackupOptions extends BackupCommonOptions {
  /** `--fingerprint schema|counts|full` (default counts; see src/backup/README.md for the costs). */
  fingerprintLevel?: FingerprintLevel;
  /** Verification right after each backup (default light). */
  verify?: 'none' | 'light' | 'deep';
  /**
   * `--keep n`: keep the newest n verified backups per tenant; unset = delete nothing. A configuration's
   * `backups.keep` is `RunOptions.backupKeep` (`loadRunOptions`): pass it here, as the CLI does.
   */
  keep?: number;
}

export interface VerifyOptions extends BackupCommonOptions {
  /** `--deep`: restore every selected tenant's backup into a scratch target. */
  deep?: boolean;
  /** `--sample n|p%`: deep-verify a random subset, light-verify the rest. */
  sample?: string | number;
  /** `--backup latest|<path>` (a path only with one tenant). */
  backup?: BackupSelector;
  /** Random integer in [0, n), for a reproducible sample in tests. */
  random?: (n: number) => number;
}

export interface RestoreOptions extends BackupCommonOptions {
  /** `--yes`: restore replaces the tenant's data; without it nothing happens. */
  yes: boolean;
  backup?: BackupSelector;
  /** Drop tables/views created after the backup (see `restoreFromBackup`). */
  dropUnexpected?: boolean;
}

async function settingsOf(
  options: BackupCommonOptions,
  dir: { create: boolean; writable: boolean },
): Promise<BackupRunSettings> {
  return {
    backupDir: await prepareBackupDir(options.backupDir, dir),
    sessionOptions: sessionOptionsOf(options),
    tools: options.tools ?? {},
  };
}

function runOptions(command: string, options: BackupCommonOptions) {
  return {
    command,
    tenants: options.tenants,
    ...fanOutOf(options),
    ...(options.runId ? { runId: options.runId } : {}),
    emptyDetails: () => ({ backup: null }),
  };
}

function singleTenantPath(
  command: string,
  options: { backup?: BackupSelector; tenants: readonly Tenant[] },
): void {
  if (options.backup && options.backup !== 'latest' && options.tenants.length !== 1) {
    throw new UsageError(
      `${command} --backup <path> needs exactly one selected tenant (${options.tenants.length} selected)`,
    );
  }
}

type BackupTask = (ctx: TenantContext) => Promise<TaskOutcome<BackupDetails>>;

/** A queued run's coordinator never runs a task itself: its workers do, with their own backup folder. */
const remoteOnly: BackupTask = () => Promise.reject(new Error('this run hands its tenants to queue workers'));

function checkBackupOptions(options: BackupOptions): FingerprintLevel {
  checkChoice('verify', options.verify, ['none', 'light', 'deep']);
  const level = options.fingerprintLevel ?? 'counts';
  if (!FINGERPRINT_LEVELS.includes(level))
    throw new UsageError(
      `fingerprintLevel (--fingerprint) ${level}: expected ${FINGERPRINT_LEVELS.join(', ')}`,
    );
  if (options.keep !== undefined && !(Number.isInteger(options.keep) && options.keep >= 1)) {
    throw new UsageError(
      `keep (--keep) ${options.keep}: expected a whole number of at least 1 (the last verified backup is never deleted)`,
    );
  }
  return level;
}

/** `dbfleet backup`'s per-tenant task: what a local run fans out and a queue worker runs. */
export async function backupTask(options: BackupOptions): Promise<BackupTask> {
  const level = checkBackupOptions(options);
  const settings = await settingsOf(options, { create: true, writable: true });
  return (ctx) =>
    backupTenant(ctx, {
      ...settings,
      fingerprintLevel: level,
      verify: options.verify ?? 'light',
      ...(options.keep !== undefined ? { keep: options.keep } : {}),
    });
}

/** `dbfleet backup`: one verified backup per selected tenant, concurrently under the fleet's caps. */
export async function backup(options: BackupOptions): Promise<FleetReport<BackupDetails>> {
  checkVerbOptions('backup', options, { backupDir: FOLDER }, true, { tools: TOOLS });
  checkBackupOptions(options);
  const task = options.remote ? remoteOnly : await backupTask(options);
  return runFleet<BackupDetails>(runOptions('backup', options), task);
}

/**
 * `dbfleet verify`'s per-tenant task; `deep` says which tenants get the scratch restore (all with
 * `--deep`, a sample with `--sample`).
 */
export async function verifyTask(
  options: VerifyOptions,
  deep: (tenantId: string) => boolean,
): Promise<BackupTask> {
  const settings = await settingsOf(options, { create: false, writable: false });
  return (ctx) =>
    verifyTenantBackup(ctx, {
      ...settings,
      deep: deep(ctx.tenant.id),
      backup: options.backup ?? 'latest',
    });
}

/** `dbfleet verify`: light checks for every selected tenant's backup, deep ones for all or a sample. */
export async function verify(options: VerifyOptions): Promise<FleetReport<BackupDetails>> {
  checkVerbOptions('verify', options, { backupDir: FOLDER }, true, { tools: TOOLS });
  singleTenantPath('verify', options);
  const sample = options.sample !== undefined ? parseSample(options.sample) : undefined;
  const ids = options.tenants.map((t) => t.id);
  const deepIds = sample
    ? pickSample(ids, sample, options.random ?? randomInt)
    : new Set(options.deep ? ids : []);
  // Queued, the sample drawn here travels with each tenant's job: the worker's task reads `deep`.
  const remote = options.remote && withTenantArgs(options.remote, (t) => ({ deep: deepIds.has(t.id) }));
  const task = remote ? remoteOnly : await verifyTask(options, (id) => deepIds.has(id));
  return runFleet<BackupDetails>(runOptions('verify', { ...options, ...(remote ? { remote } : {}) }), task);
}

/**
 * `dbfleet restore`: each selected tenant from its verified backup; refuses without `yes`. With a
 * journal, `latest` passes over the post-upgrade backups of upgrade runs rolled back since for the
 * tenant (see `selectBackup`); each tenant's `restoredFrom` says which backup came back.
 */
export async function restore(options: RestoreOptions): Promise<FleetReport<BackupDetails>> {
  checkVerbOptions('restore', options, { backupDir: FOLDER }, true, { tools: TOOLS });
  singleTenantPath('restore', options);
  // The backup folder is checked first: a restore that could not run is said so, not sent for a --yes.
  const settings = await settingsOf(options, { create: false, writable: false });
  if (options.yes !== true) {
    throw new UsageError(
      `restore replaces the data of ${options.tenants.map((t) => t.id).join(', ') || 'the selected tenants'} with a backup: confirm with --yes`,
    );
  }
  const ids = options.tenants.map((t) => t.id);
  return withRolledBackRuns(options.journal, ids, (journal, rolledBack) =>
    runFleet<BackupDetails>(runOptions('restore', { ...options, ...(journal ? { journal } : {}) }), (ctx) => {
      const undone = rolledBack.get(ctx.tenant.id);
      return restoreFromBackup(ctx, {
        ...settings,
        backup: options.backup ?? 'latest',
        ...(options.dropUnexpected ? { dropUnexpected: true } : {}),
        // `--lock-wait`: a tenant another runner or the application holds is waited for, as migrate does.
        ...(options.lockWaitMs ? { lockWaitMs: options.lockWaitMs } : {}),
        ...(undone ? { rolledBack: undone } : {}),
        ...(options.history ? { history: options.history } : {}),
      });
    }),
  );
}

/** `dbfleet restore --tenant <id>`: the one-tenant form. */
export function restoreTenant(
  options: Omit<RestoreOptions, 'tenants'> & { tenant: Tenant },
): Promise<FleetReport<BackupDetails>> {
  const { tenant, ...rest } = options;
  return restore({ ...rest, tenants: [tenant] });
}
