import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { createDemoFleet } from '../../demo/create-fleet.js';
import { migrate } from '../../fleet/migrate.js';
import { UsageError } from '../../util/errors.js';
import { createEventSink, exitCodeOf, type OutputMode, printReport } from '../output.js';
import { runCommand } from '../run-command.js';

interface DemoArgs {
  tenants: number;
  dir: string;
  json?: boolean;
  concurrency?: number;
}

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
/** The demo fleet starts on release 1 (the first six migrations); the rest are the upgrade. */
export const DEMO_BASELINE = '20240105000000_create_app_settings.ts';

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe:
    'create a fleet of SQLite tenant databases with sample LMS data, then migrate it with live progress',
  builder: (y) =>
    y
      .option('tenants', { type: 'number', default: 25, describe: 'how many tenant databases' })
      .option('dir', {
        type: 'string',
        default: '.dbfleet/demo',
        describe: 'where the demo fleet lives (re-created on each run)',
      })
      .option('concurrency', { type: 'number', describe: 'tenants in flight (default 8)' })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print the JSON report instead of progress and table',
      })
      .example('$0 demo', '25 tenants in .dbfleet/demo')
      .example('$0 demo --tenants 200 --dir /tmp/fleet', 'a bigger fleet elsewhere') as never,
  handler: (args) =>
    runCommand(async (signal) => {
      if (!Number.isInteger(args.tenants) || args.tenants < 1 || args.tenants > 10_000)
        throw new UsageError('--tenants must be between 1 and 10000');
      const mode: OutputMode = { json: Boolean(args.json), tty: Boolean(process.stderr.isTTY) };
      const migrationsDir = resolve(REPO, 'migrations');
      if (!mode.json)
        process.stderr.write(`creating ${args.tenants} SQLite tenants on release 1 in ${args.dir} …\n`);
      const { tenants, inventoryFile } = await createDemoFleet({
        dir: args.dir,
        count: args.tenants,
        migrationsDir,
        baseline: DEMO_BASELINE,
      });
      const report = await migrate({
        tenants,
        migrations: migrationsDir,
        concurrency: args.concurrency,
        onEvent: createEventSink(mode),
        signal,
      });
      printReport(report, mode, [
        { head: 'applied', value: (r) => `${(r.details.applied as string[]).length} migration(s)` },
        { head: 'current', value: (r) => String(r.details.current ?? '—') },
      ]);
      if (!mode.json) {
        const inv = relative(process.cwd(), inventoryFile) || inventoryFile;
        process.stdout.write(
          `\nThe fleet is in ${args.dir}. Try:\n  npx dbfleet status --tenants ${inv} --migrations migrations\n  npx dbfleet rollback --tenants ${inv} --migrations migrations --tag canary\n  npx dbfleet plan --tenants ${inv} --migrations migrations --tag canary --sql\n`,
        );
      }
      return exitCodeOf(report);
    }),
};
