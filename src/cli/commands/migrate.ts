import type { CommandModule } from 'yargs';
import { migrate } from '../../fleet/migrate.js';
import { repair, rollback } from '../../fleet/rollback.js';
import { type CommonArgs, resolveContext, withCommonOptions } from '../context.js';
import { exitCodeOf, printReport } from '../output.js';
import type { ResultColumn } from '../render/table.js';
import { runCommand } from '../run-command.js';

type MigrateArgs = CommonArgs & { to?: string; 'dry-run'?: boolean; 'allow-out-of-order'?: boolean };

const list = (key: string): ResultColumn => ({
  head: key,
  value: (r) => {
    const names = (r.details[key] as string[] | undefined) ?? [];
    return names.length <= 2 ? names.join('\n') : `${names.length} (… ${names.at(-1)})`;
  },
});
const current: ResultColumn = { head: 'current', value: (r) => String(r.details.current ?? '—') };

export const migrateCommand: CommandModule<object, MigrateArgs> = {
  command: 'migrate',
  describe: 'apply pending migrations on every selected tenant, concurrently',
  builder: (y) =>
    withCommonOptions(y)
      .option('to', { type: 'string', describe: 'stop after this migration (file name)' })
      .option('dry-run', { type: 'boolean', describe: 'report what would be applied; change nothing' })
      .option('allow-out-of-order', {
        type: 'boolean',
        describe: 'apply a pending migration that sorts before the newest applied one',
      })
      .example('$0 migrate --tenants fleet.json', 'migrate every tenant of fleet.json')
      .example('$0 migrate --tag canary --dry-run', 'show what the canaries would apply') as never,
  handler: (args) =>
    runCommand(async (signal) => {
      const ctx = await resolveContext(args, signal);
      const report = await migrate({
        ...ctx.fleet,
        migrations: ctx.migrationsDir,
        to: args.to,
        dryRun: args['dry-run'],
        allowOutOfOrder: args['allow-out-of-order'],
      });
      printReport(report, ctx.mode, args['dry-run'] ? [list('pending')] : [list('applied'), current]);
      return exitCodeOf(report);
    }),
};

export const rollbackCommand: CommandModule<object, MigrateArgs> = {
  command: 'rollback',
  describe: "run down() for each tenant's last batch, or back to --to <name>",
  builder: (y) =>
    withCommonOptions(y)
      .option('to', {
        type: 'string',
        describe: 'roll back every migration applied after this one (it stays applied)',
      })
      .example('$0 rollback --tenant acme', "undo acme's last batch") as never,
  handler: (args) =>
    runCommand(async (signal) => {
      const ctx = await resolveContext(args, signal);
      const report = await rollback({ ...ctx.fleet, migrations: ctx.migrationsDir, to: args.to });
      printReport(report, ctx.mode, [list('applied'), current]);
      return exitCodeOf(report);
    }),
};

export const repairCommand: CommandModule<object, CommonArgs> = {
  command: 'repair',
  describe:
    'accept deliberate edits of applied migrations: record their current checksums (like Flyway repair)',
  builder: (y) =>
    withCommonOptions(y).example('$0 repair --tenant acme', 'accept the edited files for acme') as never,
  handler: (args) =>
    runCommand(async (signal) => {
      const ctx = await resolveContext(args, signal);
      const report = await repair({ ...ctx.fleet, migrations: ctx.migrationsDir });
      printReport(report, ctx.mode, [list('repaired')]);
      return exitCodeOf(report);
    }),
};
