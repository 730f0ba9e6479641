import type { CommandModule } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { type CommonArgs, resolveContext, withCommonOptions } from '../context.js';
import { WORKER_EXIT_CODES } from '../exit-codes-text.js';
import { checkQueueUrl } from '../queue-option.js';
import { outputOf, runCommand } from '../run-command.js';

type WorkerArgs = CommonArgs & { queue?: string; name?: string };

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'take tenant jobs from a --queue and run them: many workers on many machines share one run',
  builder: (y) =>
    withCommonOptions(y)
      .option('queue', {
        type: 'string',
        demandOption: true,
        describe: 'the control database the coordinators enqueue on (postgres://…)',
        group: 'Queue:',
      })
      .option('name', {
        type: 'string',
        describe: "this worker's name in the coordinator's view (default dbfleet-worker <host>:<pid>)",
        group: 'Queue:',
      })
      .example(
        '$0 worker --queue postgres://ctl/dbfleet --tenants fleet.json',
        'run tenant jobs until Ctrl-C or SIGTERM',
      )
      .example(
        '$0 worker --queue postgres://ctl/dbfleet --tenants fleet.json --tag eu',
        'a runner near the EU hosts: it takes only the tenants tagged eu, and they go only to it (or another eu worker) while it runs',
      )
      .epilogue(WORKER_EXIT_CODES) as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      // A worker takes jobs by tag (its own queues) or any job of the common queue: a selection by
      // name would refuse the tenants of jobs it took.
      if (args.tenant?.length || args.exclude?.length)
        throw new UsageError(
          'worker: select tenants with --tag (a worker per region), not --tenant or --exclude',
        );
      const url = checkQueueUrl(args.queue as string);
      const [{ runWorker, ControlConnectionLost }, { upgradeSetupOf }] = await Promise.all([
        import('../../queue/worker.js'),
        import('../../config/run-options.js'),
      ]);
      const ctx = await resolveContext(args, signal);
      if (!args.json) process.stderr.write('dbfleet worker: waiting for tenant jobs (Ctrl-C to stop)\n');
      const running = runWorker({
        ...ctx.fleet,
        signal,
        migrations: ctx.migrations,
        backupDir: ctx.backupDir,
        optimizations: ctx.optimizationsDir,
        upgrade: upgradeSetupOf(ctx),
        url,
        ...(args.name ? { name: args.name } : {}),
        ...(args.tag?.length ? { tags: args.tag } : {}),
        onLine: (line) => {
          const text = args.json
            ? JSON.stringify({ ...line, at: new Date().toISOString() })
            : [
                line.tenantId ?? '-',
                line.status,
                `${line.durationMs}ms`,
                line.command ?? '',
                line.runId ?? '',
                line.error ? `${line.error.code}: ${line.error.message}` : '',
              ]
                .join('  ')
                .trimEnd();
          process.stdout.write(`${redact(text)}\n`);
        },
      });
      try {
        await running;
      } catch (err) {
        if (!(err instanceof ControlConnectionLost)) throw err;
        // One line a supervisor's log shows; exit 1 so it restarts the worker.
        process.stderr.write(
          `dbfleet worker: ${redact(err.message)}: stopped its tenants unfinished for another worker to resume; exiting\n`,
        );
        return 1;
      }
      return 0;
    }),
};
