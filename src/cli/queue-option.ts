// `--queue` on a fleet command: the command becomes the coordinator of a run its tenant jobs go to
// queue workers for (see src/queue/). Loaded only when a command runs with it: pg-boss stays unloaded.
import type { Argv } from 'yargs';
import { flagDurationMs } from '../config/overrides.js';
import { errorMessage, UsageError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { RemoteRunner } from '../fleet/run-fleet.js';

export interface QueueArgs {
  queue?: string;
  'worker-wait'?: string;
}

export function withQueueOptions<T>(y: Argv<T>): Argv<T & QueueArgs> {
  return y
    .option('queue', {
      type: 'string',
      describe:
        'coordinate the run through this control database (postgres://…): `dbfleet worker`s run the tenants',
      group: 'Queue:',
    })
    .option('worker-wait', {
      type: 'string',
      describe: 'with --queue: fail tenants no worker took within this long, e.g. 30s (default 30s)',
      group: 'Queue:',
    }) as Argv<T & QueueArgs>;
}

/** A `--queue` that is not a PostgreSQL URL is a usage error: pg-boss would try it as one and fail later. */
export function checkQueueUrl(url: string): string {
  if (!/^postgres(ql)?:\/\/./i.test(url))
    throw new UsageError(`--queue needs a postgres:// URL of the control database, not "${redact(url)}"`);
  return url;
}

/**
 * Runs `run` with a coordinator when `--queue` is given, and closes it after: `queued` (`{ remote }`,
 * or `{}` without `--queue`) spreads into the fleet options. `jobArgs`: the command's flags the workers
 * need (plain values only).
 */
export async function withQueue<R>(
  args: QueueArgs,
  jobArgs: Record<string, string | number | boolean | undefined>,
  run: (queued: { remote?: RemoteRunner }) => Promise<R>,
): Promise<R> {
  if (args.queue === undefined) return run({});
  const { openCoordinator } = await import('../queue/coordinator.js');
  const plain = Object.fromEntries(Object.entries(jobArgs).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number | boolean
  >;
  const workerWaitMs = flagDurationMs('--worker-wait', args['worker-wait']);
  const url = checkQueueUrl(args.queue);
  // The queue cannot be opened: nothing was enqueued or run, like a journal that cannot be opened.
  const coordinator = await openCoordinator({
    url,
    args: plain,
    ...(workerWaitMs !== undefined ? { workerWaitMs } : {}),
  }).catch((err: unknown) => {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot open the queue ${redact(url)}: ${errorMessage(err)}`);
  });
  try {
    return await run({ remote: coordinator });
  } finally {
    await coordinator.close();
  }
}
