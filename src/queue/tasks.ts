import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import { type MigrationOptions, migrateTask, resolveMigrations } from '../migration/migrate-fleet.js';
import type { TenantJobData } from './job.js';

export type WorkerTask = (ctx: TenantContext) => Promise<TaskOutcome<object>>;

/** What a worker needs beyond the job to build a command's task: its own inventory and config. */
export type WorkerTaskOptions = MigrationOptions;

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const flag = (value: unknown) => value === true;

/**
 * The per-tenant task of a job's command, built from the worker's own config and the run's flags the
 * job carries: the same task a local run of that command fans out. A command a worker cannot run
 * rejects, and the job fails with that message.
 */
export async function taskFor(data: TenantJobData, options: WorkerTaskOptions): Promise<WorkerTask> {
  switch (data.command) {
    case 'migrate': {
      const migrate = {
        ...options,
        to: text(data.args.to),
        dryRun: flag(data.args.dryRun),
        allowOutOfOrder: flag(data.args.allowOutOfOrder),
      };
      const { migrations, directory } = await resolveMigrations(migrate);
      return migrateTask(migrate, migrations, directory);
    }
    default:
      throw new Error(`a dbfleet worker does not run "${data.command}" jobs yet (only migrate)`);
  }
}
