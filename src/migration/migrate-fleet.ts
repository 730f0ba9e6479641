import { UsageError } from '../core/errors.js';
import { withTenantLock } from '../dialect/tenant-lock.js';
import { setDigest } from '../fleet/definition-set.js';
import { type FleetOptions, fanOutOf, resolveTimeouts } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import { runFleet, type TaskOutcome, type TenantContext, withTenantArgs } from '../fleet/run-fleet.js';
import { checkVerbOptions, MIGRATION_NAME, MIGRATIONS } from '../fleet/verb-options.js';
import { checkHistoryOptions } from './check-history-options.js';
import { loadMigrations } from './loader.js';
import { type MigrateDetails, migrateTenant } from './migrator.js';
import { assertNoProblems, planTenant } from './plan-tenant.js';
import { describeProblem } from './planner.js';
import type { Migration } from './types.js';

export interface MigrationOptions extends FleetOptions {
  /** The migrations directory, or migrations already loaded with `loadMigrations` (loaded once per run). */
  migrations: string | readonly Migration[];
  /** Stop after this migration (inclusive). */
  to?: string;
  allowOutOfOrder?: boolean;
}

export interface MigrateOptions extends MigrationOptions {
  /** Report what would be applied; change nothing. */
  dryRun?: boolean;
}

/** Loads the migrations and checks the run's options against them and the tenants (exit 2 on a problem). */
export async function resolveMigrations(
  options: MigrationOptions,
): Promise<{ migrations: readonly Migration[]; directory?: string }> {
  checkHistoryOptions(options.history, options.tenants);
  const migrations =
    typeof options.migrations === 'string' ? await loadMigrations(options.migrations) : options.migrations;
  if (options.to !== undefined && !migrations.some((m) => m.name === options.to)) {
    // Names carry their extension, as in knex's history: `--to 2026_add_plan` for `2026_add_plan.js`.
    // Worded by the option's name, which is also the CLI's flag (`--to`), so it reads for both.
    const meant = migrations.find((m) => m.name.replace(/(\.down)?\.[^.]+$/, '') === options.to);
    throw new UsageError(
      `to: no such migration ${options.to}${meant ? ` (did you mean ${meant.name}? names include their extension)` : ''}`,
    );
  }
  return { migrations, ...(typeof options.migrations === 'string' ? { directory: options.migrations } : {}) };
}

/**
 * One tenant's `migrate`: the task a local run fans out, and the one a queue worker runs for a job of a
 * queued run (src/queue/), so both apply migrations the same way.
 */
export function migrateTask(
  options: MigrateOptions,
  migrations: readonly Migration[],
  directory?: string,
): (ctx: TenantContext) => Promise<TaskOutcome<MigrateDetails>> {
  const timeouts = resolveTimeouts(options.timeouts);
  return async (ctx) => {
    const session = await ctx.session();
    const base = {
      session,
      adapter: ctx.adapter,
      migrations,
      directory,
      timeouts,
      allowOutOfOrder: options.allowOutOfOrder,
      history: options.history,
    };
    if (options.dryRun) {
      const plan = await withTenantLock(session, options.lockWaitMs ?? 0, () =>
        planTenant(base, options.to, true),
      );
      assertNoProblems(plan, directory);
      return { details: { applied: [], current: plan.current, pending: plan.pending } };
    }
    const result = await migrateTenant(
      {
        ...base,
        closeSession: ctx.releaseSession,
        lockWaitMs: options.lockWaitMs ?? 0,
        emit: ctx.emit,
        signal: ctx.signal,
      },
      options.to,
    );
    return { details: result.details, ...(result.error ? { error: result.error } : {}) };
  };
}

/** `dbfleet migrate`: applies pending migrations on every selected tenant, concurrently. */
export async function migrate(options: MigrateOptions): Promise<FleetReport<MigrateDetails>> {
  checkVerbOptions('migrate', options, { migrations: MIGRATIONS }, true, { to: MIGRATION_NAME });
  const { migrations, directory } = await resolveMigrations(options);
  const migrationSet = setDigest(migrations);
  return runFleet<MigrateDetails>(
    {
      command: 'migrate',
      tenants: options.tenants,
      ...fanOutOf(options),
      // Queued: workers refuse the job unless their migrations are the ones planned here.
      ...(options.remote ? { remote: withTenantArgs(options.remote, () => ({ migrationSet })) } : {}),
      emptyDetails: () => ({ applied: [] }),
    },
    migrateTask(options, migrations, directory),
  );
}

export { describeProblem };
