import type { CommandModule } from 'yargs';
import type { UpgradeDetails } from '../../upgrade/types.js';
import { type CommonArgs, resolveContext, withCommonOptions } from '../context.js';
import { withFleetExitCodes } from '../exit-codes-text.js';
import { exitCodeOf, printReport } from '../output.js';
import { type QueueArgs, withQueue, withQueueOptions } from '../queue-option.js';
import { budgetHint } from '../render/next-steps.js';
import { upgradeColumns } from '../render/result-columns.js';
import { outputOf, runCommand } from '../run-command.js';

type UpgradeArgs = CommonArgs &
  QueueArgs & {
    canary?: string;
    waves?: string;
    'max-failures'?: string;
    'on-failure'?: 'rollback' | 'stop' | 'continue';
    'rollback-with'?: 'restore' | 'down';
    'deep-verify'?: boolean;
    resume?: string | boolean;
    checks?: string;
    'allow-unsafe'?: boolean;
    'allow-drift'?: boolean;
  };

export const upgradeCommand: CommandModule<object, UpgradeArgs> = {
  command: 'upgrade',
  describe:
    'the whole runbook per tenant: hooks, backup + verify, migrate, optimize, smoke checks, backup + verify',
  builder: (y) =>
    withFleetExitCodes(withQueueOptions(withCommonOptions(y)))
      .option('canary', {
        type: 'string',
        describe: 'upgrade these first: the first <n> of the selection, or the tenants with tag <tag>',
        group: 'Waves:',
      })
      .option('waves', {
        type: 'string',
        describe: 'the waves after the canary, e.g. 5,25%,rest (default: rest)',
        group: 'Waves:',
      })
      .option('max-failures', {
        type: 'string',
        describe: 'failure budget: a count or a percentage; beyond it no new tenant starts (default 0)',
        group: 'Waves:',
      })
      .option('on-failure', {
        choices: ['rollback', 'stop', 'continue'] as const,
        default: 'rollback' as const,
        describe:
          'what a failed tenant gets: rollback (restore its pre-upgrade backup), stop (leave it, start no new tenant), continue (leave it)',
        group: 'Failure:',
      })
      .option('rollback-with', {
        choices: ['restore', 'down'] as const,
        default: 'restore' as const,
        describe: 'roll back by restoring the pre-upgrade backup, or by running the down migrations',
        group: 'Failure:',
      })
      .option('deep-verify', {
        type: 'boolean',
        describe: 'deep-verify the pre-upgrade backup (restore into a scratch database and compare)',
        group: 'Failure:',
      })
      .option('resume', {
        type: 'string',
        describe: 'continue the latest upgrade run (or the named run id) after a crash or interrupt',
        group: 'Journal:',
      })
      .option('allow-unsafe', {
        type: 'boolean',
        describe:
          'start although lint finds unsafe statements no migration accepts (recorded in the journal and report)',
        group: 'Pre-flight:',
      })
      .option('allow-drift', {
        type: 'boolean',
        describe:
          "start although first-wave tenants' schemas differ from others on their version (recorded in the journal and report)",
        group: 'Pre-flight:',
      })
      .option('checks', {
        type: 'string',
        describe: 'smoke checks folder (default ./checks)',
        group: 'Fleet:',
      })
      .example(
        '$0 upgrade --canary canary --waves 10%,rest --max-failures 2',
        'canaries first, then 10%, then the rest',
      )
      .example('$0 upgrade --resume', 'finish the run a crash interrupted')
      .example(
        '$0 upgrade --queue postgres://ctl/dbfleet --canary 5',
        'the `dbfleet worker`s of that queue run the tenants; the run is journaled on that database',
      ) as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const [{ prepareUpgrade }, { upgradeSetupOf }, { upgrade }] = await Promise.all([
        import('../../upgrade/prepare.js'),
        import('../../config/run-options.js'),
        import('../../upgrade/upgrade.js'),
      ]);
      const ctx = await resolveContext(args, signal, { checksDir: args.checks });
      const prepared = await prepareUpgrade(upgradeSetupOf(ctx));
      const resume =
        args.resume === undefined
          ? undefined
          : args.resume === '' || args.resume === true
            ? true
            : String(args.resume);
      // The run's flags its workers apply; hooks, checks, migrations and backups come from their own config.
      const flags = {
        onFailure: args['on-failure'],
        rollbackWith: args['rollback-with'],
        deepVerify: args['deep-verify'],
      };
      const report = await withQueue(args, flags, (queued) =>
        upgrade({
          ...ctx.fleet,
          ...prepared,
          ...queued,
          // Queued, the workers checkpoint each tenant's steps in the run's journal: it lives on the
          // control database they share.
          ...(args.queue !== undefined ? { journal: args.queue } : {}),
          preflight: {
            ...prepared.preflight,
            allowUnsafe: args['allow-unsafe'],
            allowDrift: args['allow-drift'],
          },
          canary: args.canary,
          waves: args.waves,
          maxFailures: args['max-failures'],
          onFailure: args['on-failure'],
          rollbackWith: args['rollback-with'],
          deepVerify: args['deep-verify'],
          throttle: ctx.throttle,
          ...(resume !== undefined ? { resume } : {}),
        }),
      );
      await printReport(
        report,
        ctx.mode,
        upgradeColumns(),
        [
          report.runId &&
            `run ${report.runId} — details: dbfleet report --run ${report.runId}${args.queue !== undefined ? ' --journal <the --queue database>' : ''}`,
          budgetHint(report),
        ]
          .filter(Boolean)
          .join('\n') || undefined,
      );
      const attention = report.tenants.filter((t) => t.details.needsAttention);
      for (const t of attention) process.stderr.write(`\n!!! ${t.id}: ${t.details.needsAttention}\n`);
      return exitCodeOf(report);
    }),
};
