import type { CommandModule } from 'yargs';
import { UsageError } from '../../core/errors.js';
import type { RollbackPlan } from '../../upgrade/rollback-run.js';
import { type CommonArgs, resolveContext, withCommonOptions } from '../context.js';
import { withFleetExitCodes } from '../exit-codes-text.js';
import { journaled } from '../journaled.js';
import { exitCodeOf, printReport } from '../output.js';
import { type QueueArgs, withQueue, withQueueOptions } from '../queue-option.js';
import { alreadyRolledBackHint, reopenHint } from '../render/next-steps.js';
import { revertedColumn } from '../render/result-columns.js';
import type { ResultColumn } from '../render/table.js';
import { confirmRestore, leftOutHint } from '../rollback-plan.js';
import { outputOf, runCommand } from '../run-command.js';

type MigrateArgs = CommonArgs & { to?: string; 'dry-run'?: boolean; 'allow-out-of-order'?: boolean };
type RollbackArgs = MigrateArgs & {
  run?: string;
  with?: 'restore' | 'down';
  reopen?: boolean;
  yes?: boolean;
};

const list = (key: string): ResultColumn => ({
  head: key,
  value: (r) => {
    const names = (r.details[key] as string[] | undefined) ?? [];
    return names.length <= 2 ? names.join('\n') : `${names.length} (… ${names.at(-1)})`;
  },
});
const current: ResultColumn = { head: 'current', value: (r) => String(r.details.current ?? '—') };

export const migrateCommand: CommandModule<object, MigrateArgs & QueueArgs> = {
  command: 'migrate',
  describe: 'apply pending migrations on every selected tenant, concurrently',
  builder: (y) =>
    withFleetExitCodes(withQueueOptions(withCommonOptions(y, ['optimizations', 'backup-dir'])))
      .option('to', { type: 'string', describe: 'stop after this migration (file name)' })
      .option('dry-run', { type: 'boolean', describe: 'report what would be applied; change nothing' })
      .option('allow-out-of-order', {
        type: 'boolean',
        describe: 'apply a pending migration that sorts before the newest applied one',
      })
      .example('$0 migrate --tenants fleet.json', 'migrate every tenant of fleet.json')
      .example('$0 migrate --tag canary --dry-run', 'show what the canaries would apply')
      .example(
        '$0 migrate --queue postgres://ctl/dbfleet',
        'let the `dbfleet worker`s of that queue run it',
      ) as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const { migrate } = await import('../../migration/migrate-fleet.js');
      const ctx = await resolveContext(args, signal);
      const flags = { to: args.to, dryRun: args['dry-run'], allowOutOfOrder: args['allow-out-of-order'] };
      const report = await withQueue(args, flags, (queued) =>
        migrate({ ...journaled(ctx), ...queued, migrations: ctx.migrations, ...flags }),
      );
      await printReport(report, ctx.mode, args['dry-run'] ? [list('pending')] : [list('applied'), current]);
      return exitCodeOf(report);
    }),
};

export const rollbackCommand: CommandModule<object, RollbackArgs & QueueArgs> = {
  command: 'rollback',
  describe:
    "run down() for each tenant's last batch (or back to --to); with --run, roll back a whole upgrade run",
  builder: (y) =>
    withFleetExitCodes(withQueueOptions(withCommonOptions(y)))
      .option('to', {
        type: 'string',
        describe: 'roll back every migration applied after this one (it stays applied)',
      })
      .option('run', {
        type: 'string',
        describe:
          'roll back every tenant this upgrade run changed, last wave first ("latest": the newest upgrade run)',
      })
      .option('with', {
        choices: ['restore', 'down'] as const,
        default: 'restore' as const,
        describe: 'with --run: restore the pre-upgrade backups, or run the down migrations',
      })
      .option('reopen', {
        type: 'boolean',
        describe: 'with --run: run the afterTenant hook once a tenant is rolled back',
      })
      .option('yes', {
        type: 'boolean',
        describe: 'with --run --with restore: confirm that data written since the upgrade is lost',
      })
      .example('$0 rollback --tenant acme', "undo acme's last batch")
      .example(
        '$0 rollback --run 20261126T040000Z-ab12 --yes',
        'restore every tenant of that upgrade run from its pre-upgrade backup',
      ) as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const ctx = await resolveContext(args, signal);
      const upgradeRun = args.run;
      if (upgradeRun !== undefined) {
        const [{ prepareUpgrade }, { rollbackRun }] = await Promise.all([
          import('../../upgrade/prepare.js'),
          import('../../upgrade/rollback-run.js'),
        ]);
        if (args.to !== undefined) throw new UsageError('--to and --run do not go together');
        // The afterTenant hook reopens a rolled-back tenant (--reopen).
        const prepared = await prepareUpgrade({
          ...ctx.fleet,
          migrations: ctx.migrations,
          backupDir: ctx.backupDir,
          journal: ctx.journal,
          hooks: ctx.hooks,
        });
        // Queued, the workers read what to roll back from the run's journal and checkpoint there: a
        // queued rollback rolls back a queued upgrade, journaled on the control database.
        let plan: RollbackPlan | undefined;
        const report = await withQueue(args, {}, (queued) =>
          rollbackRun({
            ...ctx.fleet,
            ...prepared,
            ...queued,
            // The selection's tenants of the run are rolled back; the inventory tells the others (left
            // out) from ones that are not in it at all.
            inventory: ctx.inventory,
            ...(args.queue !== undefined ? { journal: args.queue } : {}),
            run: upgradeRun === 'latest' || upgradeRun === '' ? true : upgradeRun,
            with: args.with,
            reopen: args.reopen,
            // Asked once the run is found: an unknown run is reported as unknown, not as a missing --yes.
            confirm: (p) => {
              plan = p;
              confirmRestore(p, Boolean(args.yes));
            },
          }),
        );
        await printReport(
          report,
          ctx.mode,
          [revertedColumn, { head: 'users', value: (r) => String(r.details.maintenance ?? '') }],
          [alreadyRolledBackHint(report), reopenHint(report, Boolean(args.reopen)), leftOutHint(plan)]
            .filter((hint) => hint !== undefined)
            .join('\n') || undefined,
        );
        return exitCodeOf(report);
      }
      // Options of an upgrade run's rollback, given without --run: the user meant a run, and a plain
      // rollback of every selected tenant's last batch is not what they asked for.
      for (const [given, option] of [
        [args.queue !== undefined, '--queue'],
        [args.reopen !== undefined, '--reopen'],
        [args.yes !== undefined, '--yes'],
      ] as const) {
        if (given)
          throw new UsageError(
            `rollback ${option} rolls back an upgrade run: add --run <id|latest> (without --run, rollback undoes each tenant's last batch)`,
          );
      }
      const { rollback } = await import('../../migration/rollback-fleet.js');
      const report = await rollback({ ...journaled(ctx), migrations: ctx.migrations, to: args.to });
      await printReport(report, ctx.mode, [revertedColumn, current]);
      return exitCodeOf(report);
    }),
};

export const repairCommand: CommandModule<object, CommonArgs> = {
  command: 'repair',
  describe:
    'accept deliberate edits of applied migrations: record their current checksums (like Flyway repair)',
  builder: (y) =>
    withFleetExitCodes(withCommonOptions(y, ['optimizations', 'backup-dir'])).example(
      '$0 repair --tenant acme',
      'accept the edited files for acme',
    ) as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const { repair } = await import('../../migration/rollback-fleet.js');
      const ctx = await resolveContext(args, signal);
      const report = await repair({ ...journaled(ctx), migrations: ctx.migrations });
      await printReport(report, ctx.mode, [list('repaired')]);
      return exitCodeOf(report);
    }),
};
