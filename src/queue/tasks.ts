import { backupTask, verifyTask } from '../backup/fleet.js';
import { FINGERPRINT_LEVELS, type FingerprintLevel, type ToolOptions } from '../dialect/backup-types.js';
import { assertSameSet, optimizationEntries } from '../fleet/definition-set.js';
import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import type { Journal } from '../journal/journal.js';
import { type MigrationOptions, migrateTask, resolveMigrations } from '../migration/migrate-fleet.js';
import { optimizeTask, resolveOptimizations } from '../optimization/fleet.js';
import type { UpgradeSetup } from '../upgrade/prepare.js';
import type { TenantJobData } from './job.js';

export type WorkerTask = (ctx: TenantContext) => Promise<TaskOutcome<object>>;

/**
 * What a worker needs beyond the job to build a command's task: its own inventory and config. Backups
 * go to the worker's own backup folder (shared storage, when workers on several machines must find
 * each other's backups to verify or restore them).
 */
export type WorkerTaskOptions = MigrationOptions & {
  backupDir?: string;
  tools?: ToolOptions;
  /** The worker's optimizations folder (`optimize` jobs). */
  optimizations?: string;
  /** What `upgrade` jobs run: the worker's own migrations, optimizations, hooks, checks, backup folder. */
  upgrade?: UpgradeSetup;
};

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const flag = (value: unknown) => value === true;

/** `--only` travels as a JSON array in a string: job flags are plain values. */
function onlyList(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const list: unknown = JSON.parse(value);
  if (!Array.isArray(list) || !list.every((n) => typeof n === 'string'))
    throw new Error("the job's --only is not a list of names");
  return list;
}

function backupDirOf(options: WorkerTaskOptions, command: string): string {
  if (!options.backupDir) throw new Error(`this worker has no backup folder for "${command}" jobs`);
  return options.backupDir;
}

/**
 * The per-tenant task of a job's command, built from the worker's own config and the run's flags the
 * job carries: the same task a local run of that command fans out. A command a worker cannot run
 * rejects, and the job fails with that message.
 */
export async function taskFor(
  data: TenantJobData,
  options: WorkerTaskOptions,
  /** The runs' journal on the control database, where `upgrade` jobs checkpoint their steps. */
  runJournal: () => Promise<Journal>,
): Promise<WorkerTask> {
  const { args } = data;
  switch (data.command) {
    case 'migrate': {
      const migrate = {
        ...options,
        to: text(args.to),
        dryRun: flag(args.dryRun),
        allowOutOfOrder: flag(args.allowOutOfOrder),
      };
      const { migrations, directory } = await resolveMigrations(migrate);
      assertSameSet('migrations', args.migrationSet, migrations);
      return migrateTask(migrate, migrations, directory);
    }
    case 'backup': {
      const level = text(args.fingerprint);
      const verify = text(args.verify);
      return backupTask({
        ...options,
        backupDir: backupDirOf(options, 'backup'),
        ...(level && FINGERPRINT_LEVELS.includes(level as FingerprintLevel)
          ? { fingerprintLevel: level as FingerprintLevel }
          : {}),
        ...(verify === 'none' || verify === 'light' || verify === 'deep' ? { verify } : {}),
        ...(typeof args.keep === 'number' ? { keep: args.keep } : {}),
      });
    }
    case 'verify': {
      const backup = text(args.backup);
      return verifyTask(
        { ...options, backupDir: backupDirOf(options, 'verify'), ...(backup ? { backup } : {}) },
        () => flag(args.deep),
      );
    }
    case 'optimize': {
      if (!options.optimizations) throw new Error('this worker has no optimizations folder');
      const only = onlyList(args.only);
      const optimizations = await resolveOptimizations({
        optimizations: options.optimizations,
        ...(only ? { only } : {}),
      });
      assertSameSet('optimizations', args.optimizationSet, optimizationEntries(optimizations));
      return optimizeTask({ ...options, dryRun: flag(args.dryRun) }, optimizations);
    }
    case 'upgrade': {
      if (!options.upgrade) throw new Error('this worker is not set up for upgrade jobs');
      const { queuedUpgradeTask } = await import('../upgrade/queued.js');
      const onFailure = text(args.onFailure);
      const rollbackWith = text(args.rollbackWith);
      return queuedUpgradeTask(options.upgrade, await runJournal(), data.runId, {
        ...(onFailure === 'rollback' || onFailure === 'stop' || onFailure === 'continue'
          ? { onFailure }
          : {}),
        ...(rollbackWith === 'restore' || rollbackWith === 'down' ? { rollbackWith } : {}),
        deepVerify: flag(args.deepVerify),
        skipBackup: flag(args.skipBackup),
        migrationSet: args.migrationSet,
        optimizationSet: args.optimizationSet,
      });
    }
    case 'rollback': {
      if (!options.upgrade) throw new Error('this worker is not set up for rollback jobs');
      const { queuedRollbackTask } = await import('../upgrade/queued-rollback.js');
      return queuedRollbackTask(options.upgrade, await runJournal(), data.runId);
    }
    default:
      throw new Error(
        `a dbfleet worker does not run "${data.command}" jobs (only migrate, backup, verify, optimize, upgrade and rollback --run)`,
      );
  }
}
