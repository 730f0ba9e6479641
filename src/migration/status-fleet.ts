import { fanOutOf } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import { runFleet } from '../fleet/run-fleet.js';
import { checkVerbOptions, MIGRATIONS } from '../fleet/verb-options.js';
import { historyLocation, readHistoryIfComplete, readHistoryOf } from './history.js';
import { type MigrationOptions, resolveMigrations } from './migrate-fleet.js';
import { describeProblem, planMigrations } from './planner.js';

export type StatusDetails = {
  current: string | null;
  pending: string[];
  problems: string[];
  /** `plan --sql`: each pending migration's statements, by name. */
  sql?: Record<string, string[]>;
};

export interface PlanOptions extends MigrationOptions {
  /** Include the SQL each pending migration would run, where it can be derived. */
  sql?: boolean;
}

/**
 * `dbfleet status` / `dbfleet plan`: read-only. Takes no lock and creates no table, so it is safe to run
 * while a migration is in flight; a tenant with problems is reported `failed` with them listed.
 */
export async function status(
  options: PlanOptions,
  command: 'status' | 'plan' = 'status',
): Promise<FleetReport<StatusDetails>> {
  checkVerbOptions(command, options, { migrations: MIGRATIONS });
  const { migrations, directory } = await resolveMigrations(options);
  // Every up-to-date tenant names the same current migration: point them all at the one name string
  // rather than keep the copy each history read made (72 bytes a tenant, for the whole run).
  const knownName = new Map(migrations.map((m) => [m.name, m.name]));
  return runFleet<StatusDetails>(
    {
      command,
      tenants: options.tenants,
      ...readOnly(fanOutOf(options)),
      emptyDetails: () => ({ current: null, pending: [], problems: [] }),
    },
    async (ctx) => {
      const session = await ctx.session();
      const where = historyLocation(session.tenant, options.history);
      // Usually one round trip; a tenant that lacks a table (knex's alone, or none yet) reads what it has.
      const { existing, snapshot } = await readHistoryIfComplete(session, where);
      const { applied, recorded } = snapshot ?? (await readHistoryOf(session, where, existing));
      const plan = planMigrations({
        available: migrations,
        applied,
        recorded,
        to: options.to,
        allowOutOfOrder: options.allowOutOfOrder,
      });
      const problems = plan.problems.map((p) => describeProblem(p, directory));
      const details: StatusDetails = {
        current: plan.current === null ? null : (knownName.get(plan.current) ?? plan.current),
        pending: plan.pending,
        problems,
      };
      if (command === 'plan' && options.sql) {
        const { captureMigrationSql } = await import('./capture-sql.js');
        details.sql = {};
        for (const name of plan.pending)
          details.sql[name] = await captureMigrationSql(
            ctx.adapter,
            ctx.tenant,
            migrations.find((m) => m.name === name)!,
            options.knex,
          );
      }
      return {
        details,
        ...(problems.length ? { error: { code: 'MIGRATION_PROBLEMS', message: problems.join('; ') } } : {}),
      };
    },
  );
}

/** status and plan must not change a tenant: no schema creation on connect. */
function readOnly<T extends { sessionOptions: object }>(fanOut: T): T {
  return { ...fanOut, sessionOptions: { ...fanOut.sessionOptions, readOnly: true } };
}

export function plan(options: PlanOptions): Promise<FleetReport<StatusDetails>> {
  return status(options, 'plan');
}
