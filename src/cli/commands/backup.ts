import type { CommandModule } from 'yargs';
import type { BackupDetails, RestoredFrom } from '../../backup/context.js';
import { UsageError } from '../../core/errors.js';
import { FINGERPRINT_LEVELS, type FingerprintLevel } from '../../dialect/backup-types.js';
import type { FleetReport } from '../../fleet/report.js';
import { utcStamp } from '../../util/utc-stamp.js';
import { type CommonArgs, resolveContext, withCommonOptions } from '../context.js';
import { withFleetExitCodes } from '../exit-codes-text.js';
import { journaled } from '../journaled.js';
import { exitCodeOf, printReport } from '../output.js';
import { type QueueArgs, withQueue, withQueueOptions } from '../queue-option.js';
import type { ResultColumn } from '../render/table.js';
import { outputOf, runCommand } from '../run-command.js';

type BackupArgs = CommonArgs & { keep?: number; fingerprint?: string; verify?: 'none' | 'light' | 'deep' };
type VerifyArgs = CommonArgs & { deep?: boolean; sample?: string; backup?: string };
type RestoreArgs = CommonArgs & { backup?: string; yes?: boolean; 'drop-unexpected'?: boolean };

const columns: ResultColumn<BackupDetails>[] = [
  { head: 'backup', value: (r) => r.details.backup?.path.split('/').slice(-2).join('/') ?? '—' },
  { head: 'bytes', value: (r) => (r.details.backup ? String(r.details.backup.bytes) : '') },
  { head: 'verified', value: (r) => String(r.details.backup?.verified ?? false) },
];

/** A restore's table: the version the restored backup holds in place of its size. */
const restoreColumns: ResultColumn<BackupDetails>[] = [
  columns[0]!,
  {
    head: 'version',
    value: ({ details: { restoredFrom: from } }) =>
      !from ? '' : from.migration === undefined ? 'unknown' : (from.migration ?? '(no migrations)'),
  },
  columns[2]!,
];

/** "the pre-upgrade backup of run R, taken …; holds 003_x.js": which backup came back, in full. */
function restoredLine(from: RestoredFrom): string {
  const which = from.run
    ? `the ${from.stage}-upgrade backup of run ${from.run}`
    : 'a backup not taken by an upgrade run';
  const holds =
    from.migration === undefined
      ? 'its migration version could not be read'
      : from.migration === null
        ? 'holds no migration'
        : `holds ${from.migration}`;
  return `restored ${from.path} — ${which}, taken ${utcStamp(from.takenAt)}; ${holds}`;
}

/**
 * Under the table, one line per restored tenant saying which backup came back (a table cell is too narrow
 * for a path, a time and a run id), then what `latest` passed over to get there.
 */
const restoreLines = (report: FleetReport<BackupDetails>): string | undefined => {
  const lines = report.tenants.flatMap((t) => [
    ...(t.details.restoredFrom ? [`${t.id}: ${restoredLine(t.details.restoredFrom)}`] : []),
    ...(t.details.notes ?? []).map((n) => `${t.id}: ${n}`),
  ]);
  return lines.length ? lines.join('\n') : undefined;
};

/**
 * What `--keep` did: how many backups stay (one of them, maybe, a pre-upgrade backup kept beyond the count
 * for its run's rollback) and how many went; `--json` has every kept backup and why.
 */
const retentionColumn: ResultColumn<BackupDetails> = {
  head: 'retention',
  value: (r) => {
    const done = r.details.retention;
    if (!done) return '';
    // The run and the file are in the notice and in --json: the cell stays narrow enough for 80 columns.
    const held = done.heldForRollback ? ' (1 pre-upgrade)' : '';
    return `kept ${done.kept}${held}, deleted ${done.deleted.length}`;
  },
};

/** Backups land under the configured backup folder; the `verify`, `restore` and `upgrade` commands find them there. */
export const backupCommand: CommandModule<object, BackupArgs & QueueArgs> = {
  command: 'backup',
  describe:
    'back up every selected tenant (pg_dump -Fc, SQLite online backup, SQL Server BACKUP) and verify it',
  builder: (y) =>
    withFleetExitCodes(withQueueOptions(withCommonOptions(y, ['migrations', 'optimizations', 'lock-wait'])))
      .option('keep', {
        type: 'number',
        describe:
          'keep the newest n verified backups per tenant, and its newest pre-upgrade backup (never the last verified one; nothing for a tenant whose new backup failed)',
      })
      .option('fingerprint', {
        type: 'string',
        choices: FINGERPRINT_LEVELS,
        default: 'counts',
        describe:
          'what the manifest records of the source: schema (catalog only), counts (+ row counts), full (+ content hashes: reads every row)',
      })
      .option('verify', {
        choices: ['none', 'light', 'deep'] as const,
        default: 'light' as const,
        describe: 'verification right after each backup',
      })
      .example('$0 backup --keep 7', 'back up and light-verify every tenant, keep a week') as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const { backup } = await import('../../backup/fleet.js');
      const ctx = await resolveContext(args, signal);
      if (args.keep !== undefined && (!Number.isInteger(args.keep) || args.keep < 1))
        throw new UsageError('--keep must be a whole number of at least 1');
      // The flag wins over the configuration's backups.keep, which was validated but never applied.
      const keep = args.keep ?? ctx.backupKeep;
      // With --queue the workers take the backups, into their own --backup-dir.
      const flags = { keep, fingerprint: args.fingerprint, verify: args.verify };
      const report = await withQueue(args, flags, (queued) =>
        backup({
          ...journaled(ctx),
          ...queued,
          backupDir: ctx.backupDir,
          keep,
          fingerprintLevel: args.fingerprint as FingerprintLevel,
          verify: args.verify,
        }),
      );
      await printReport(report, ctx.mode, keep !== undefined ? [...columns, retentionColumn] : columns);
      return exitCodeOf(report);
    }),
};

export const verifyCommand: CommandModule<object, VerifyArgs & QueueArgs> = {
  command: 'verify',
  describe:
    'verify backups: light (manifest, size, sha256, archive readable) or --deep (restore into a scratch database and compare fingerprints)',
  builder: (y) =>
    withFleetExitCodes(withQueueOptions(withCommonOptions(y, ['migrations', 'optimizations', 'lock-wait'])))
      .option('deep', {
        type: 'boolean',
        describe:
          'restore every selected backup into a scratch database, check integrity, compare the fingerprint, drop it',
      })
      .option('sample', {
        type: 'string',
        describe: 'deep-verify a random subset (n or p%), light-verify the rest',
      })
      .option('backup', { type: 'string', describe: 'latest (default) or a backup file (with one --tenant)' })
      .example('$0 verify --sample 5%', 'deep-verify a random 5%, light-verify the rest') as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const { verify } = await import('../../backup/fleet.js');
      const ctx = await resolveContext(args, signal);
      const flags = { deep: args.deep, backup: args.backup };
      const report = await withQueue(args, flags, (queued) =>
        verify({
          ...journaled(ctx),
          ...queued,
          backupDir: ctx.backupDir,
          deep: args.deep,
          sample: args.sample,
          backup: args.backup ?? 'latest',
        }),
      );
      await printReport(report, ctx.mode, columns);
      return exitCodeOf(report);
    }),
};

export const restoreCommand: CommandModule<object, RestoreArgs> = {
  command: 'restore',
  describe:
    'restore tenants from their verified backup into their own database, then check the fingerprint (needs --yes)',
  builder: (y) =>
    withFleetExitCodes(withCommonOptions(y, ['migrations', 'optimizations']))
      .option('backup', {
        type: 'string',
        describe: 'latest verified (default) or a backup file (with one --tenant)',
      })
      .option('yes', { type: 'boolean', describe: "confirm: the tenant's current data is replaced" })
      .option('drop-unexpected', {
        type: 'boolean',
        describe:
          'drop what was created after the backup: tables, views, types, functions, … in the same transaction as the restore, so a failed restore keeps them (otherwise the restore refuses)',
      })
      .example('$0 restore --tenant acme --yes', 'restore acme from its latest verified backup') as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const { restore } = await import('../../backup/fleet.js');
      const ctx = await resolveContext(args, signal);
      if (!args.tenant?.length)
        throw new UsageError(
          'restore needs --tenant <id> (repeatable): it never restores a whole fleet by accident',
        );
      const report = await restore({
        ...journaled(ctx),
        backupDir: ctx.backupDir,
        yes: Boolean(args.yes),
        backup: args.backup ?? 'latest',
        dropUnexpected: args['drop-unexpected'],
      });
      await printReport(report, ctx.mode, restoreColumns, restoreLines(report));
      return exitCodeOf(report);
    }),
};
