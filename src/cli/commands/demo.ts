import { relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { createEventSink, exitCodeOf, type OutputMode, printReport } from '../output.js';
import { upgradeColumns } from '../render/result-columns.js';
import { outputOf, runCommand } from '../run-command.js';

interface DemoArgs {
  tenants: number;
  dir: string;
  json?: boolean;
  concurrency?: number;
  'with-failure'?: boolean;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'create a SQLite fleet with sample LMS data on release 1 and upgrade it to release 2, live',
  builder: (y) =>
    y
      .option('tenants', { type: 'number', default: 25, describe: 'how many tenant databases' })
      .option('dir', {
        type: 'string',
        default: '.dbfleet/demo',
        describe: 'where the demo fleet lives (re-created on each run)',
      })
      .option('with-failure', {
        type: 'boolean',
        describe: 'add a tenant whose smoke check fails, to show the rollback',
      })
      .option('concurrency', { type: 'number', describe: 'tenants in flight (default 8)' })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print the JSON report instead of progress and table',
      })
      .example('$0 demo', '25 tenants in .dbfleet/demo')
      .example('$0 demo --tenants 200 --with-failure', 'a bigger fleet, one tenant rolled back') as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      if (!Number.isInteger(args.tenants) || args.tenants < 1 || args.tenants > 10_000)
        throw new UsageError('--tenants must be between 1 and 10000');
      const { runDemo } = await import('../../demo/run-demo.js');
      const mode: OutputMode = { json: Boolean(args.json), tty: Boolean(process.stderr.isTTY) };
      if (!mode.json)
        process.stderr.write(
          `creating ${args.tenants} SQLite tenants${args['with-failure'] ? ' and one whose smoke check fails' : ''} on release 1 in ${args.dir} …\n`,
        );
      const result = await runDemo({
        dir: args.dir,
        tenants: args.tenants,
        withFailure: args['with-failure'],
        concurrency: args.concurrency,
        onEvent: await createEventSink(mode),
        signal,
      });
      await printReport(result.report, mode, upgradeColumns('migrations'));
      if (!mode.json) {
        const rel = (p: string) => relative(process.cwd(), p) || p;
        process.stdout.write(
          `\nrun ${result.report.runId}: journal ${rel(result.journal)}, backups ${rel(result.backupDir)}\n` +
            // The demo's own config: the example migrations are the package's, not this folder's.
            `Next: npx dbfleet status --config ${rel(result.configFile)}\n` +
            `      npx dbfleet report --config ${rel(result.configFile)}\n` +
            `The fleet report: ${rel(result.reportFile)}\n`,
        );
      }
      return exitCodeOf(result.report);
    }),
};
