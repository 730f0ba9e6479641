import type { CommandModule } from 'yargs';
import type { OptimizationOutcome } from '../../optimization/types.js';
import { type CommonArgs, resolveContext, withCommonOptions } from '../context.js';
import { withFleetExitCodes } from '../exit-codes-text.js';
import { journaled } from '../journaled.js';
import { exitCodeOf, printReport } from '../output.js';
import { type QueueArgs, withQueue, withQueueOptions } from '../queue-option.js';
import { outputOf, runCommand } from '../run-command.js';

type OptimizeArgs = CommonArgs & { only?: string[]; 'dry-run'?: boolean };

function describe(outcomes: readonly OptimizationOutcome[]): string {
  return outcomes
    .map((o) => `${o.name}: ${o.action}${o.rows !== undefined ? ` (${o.rows} rows)` : ''}`)
    .join('\n');
}

export const optimizeCommand: CommandModule<object, OptimizeArgs & QueueArgs> = {
  command: 'optimize',
  describe:
    'run the optimization scripts (index builds, batched cleanup, statistics) on every selected tenant',
  builder: (y) =>
    withFleetExitCodes(withQueueOptions(withCommonOptions(y, ['migrations', 'backup-dir'])))
      .option('only', {
        type: 'string',
        array: true,
        describe: 'run only this optimization (by name; repeatable)',
      })
      .option('dry-run', {
        type: 'boolean',
        describe: 'change nothing; report what would happen, with exact row counts',
      })
      .example('$0 optimize --dry-run', 'what every optimization would do, per tenant')
      .example('$0 optimize --only audit-log-retention --tag eu', 'one cleanup on the EU tenants') as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const { optimize } = await import('../../optimization/fleet.js');
      const ctx = await resolveContext(args, signal);
      const flags = {
        dryRun: args['dry-run'],
        only: args.only?.length ? JSON.stringify(args.only.map(String)) : undefined,
      };
      const report = await withQueue(args, flags, (queued) =>
        optimize({
          ...journaled(ctx),
          ...queued,
          optimizations: ctx.optimizationsDir,
          only: args.only,
          dryRun: args['dry-run'],
        }),
      );
      await printReport(report, ctx.mode, [
        {
          head: 'optimizations',
          value: (r) => describe((r.details.optimizations as OptimizationOutcome[] | undefined) ?? []),
        },
      ]);
      return exitCodeOf(report);
    }),
};
