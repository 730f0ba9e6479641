import { TenantError } from '../core/errors.js';
import { withTenantLock } from '../dialect/tenant-lock.js';
import { describeFailure } from '../fleet/describe-failure.js';
import { fanOutOf, resolveTimeouts } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import { runFleet } from '../fleet/run-fleet.js';
import { checkVerbOptions, MIGRATION_NAME, MIGRATIONS } from '../fleet/verb-options.js';
import { assertDownsRunnable } from './down-guard.js';
import {
  ensureHistoryTables,
  historyExists,
  historyLocation,
  historyTables,
  readApplied,
  readHistoryOf,
  tableLookupOf,
} from './history.js';
import { writeChecksum } from './history-write.js';
import { type MigrationOptions, resolveMigrations } from './migrate-fleet.js';
import { runMigration } from './migrator.js';

export type RollbackDetails = {
  applied: string[];
  current: string | null;
};

/**
 * `dbfleet rollback`: runs `down` for the last batch on each tenant, or — with `to` — for every migration
 * applied after `to` (which stays applied). Newest first, each in its own transaction.
 */
export async function rollback(options: MigrationOptions): Promise<FleetReport<RollbackDetails>> {
  checkVerbOptions('rollback', options, { migrations: MIGRATIONS }, true, { to: MIGRATION_NAME });
  const { migrations } = await resolveMigrations(options);
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const timeouts = resolveTimeouts(options.timeouts);
  return runFleet<RollbackDetails>(
    {
      command: 'rollback',
      tenants: options.tenants,
      ...fanOutOf(options),
      emptyDetails: () => ({ applied: [], current: null }),
    },
    async (ctx) => {
      const session = await ctx.session();
      const where = historyLocation(session.tenant, options.history);
      return withTenantLock(session, options.lockWaitMs ?? 0, async () => {
        // A tenant that was never migrated has no history table: nothing is applied.
        const applied = (await historyExists(session.knex, where))
          ? await readApplied(session.knex, where)
          : [];
        let targets = applied;
        if (options.to !== undefined) {
          const index = applied.findIndex((a) => a.name === options.to);
          if (index < 0) throw new TenantError('NOT_APPLIED', `${options.to} is not applied on this tenant`);
          targets = applied.slice(index + 1);
        } else {
          const lastBatch = applied.reduce((max, a) => Math.max(max, a.batch), 0);
          targets = applied.filter((a) => a.batch === lastBatch);
        }
        await assertDownsRunnable(
          session,
          where,
          targets.map((t) => t.name),
          byName,
        );
        const rolledBack: string[] = [];
        const remaining = () => applied.filter((a) => !rolledBack.includes(a.name)).at(-1)?.name ?? null;
        const opts = {
          session,
          closeSession: ctx.releaseSession,
          adapter: ctx.adapter,
          migrations,
          timeouts,
          lockWaitMs: 0,
          emit: ctx.emit,
          signal: ctx.signal,
          history: options.history,
        };
        for (const target of [...targets].reverse()) {
          const t0 = Date.now();
          ctx.emit({ type: 'migration:start', tenantId: ctx.tenant.id, name: target.name });
          try {
            await runMigration(opts, byName.get(target.name)!, 'down', target.batch);
          } catch (err) {
            const error = describeFailure(err, ctx.adapter);
            const failure = {
              code: error.code === 'FAILED' ? 'MIGRATION_FAILED' : error.code,
              message: `${target.name} (down): ${error.message}`,
            };
            ctx.emit({
              type: 'migration:failed',
              tenantId: ctx.tenant.id,
              name: target.name,
              direction: 'down',
              error: failure,
            });
            return { details: { applied: rolledBack, current: remaining() }, error: failure };
          }
          rolledBack.push(target.name);
          ctx.emit({
            type: 'migration:applied',
            tenantId: ctx.tenant.id,
            name: target.name,
            direction: 'down',
            durationMs: Date.now() - t0,
          });
        }
        return { details: { applied: rolledBack, current: remaining() } };
      });
    },
  );
}

export type RepairDetails = {
  repaired: string[];
};

/**
 * `dbfleet repair`: accepts deliberate edits (as Flyway's repair does): records the current checksum of
 * every applied migration whose file changed. Missing files are not repaired: restore them.
 */
export async function repair(options: MigrationOptions): Promise<FleetReport<RepairDetails>> {
  checkVerbOptions('repair', options, { migrations: MIGRATIONS });
  const { migrations } = await resolveMigrations(options);
  const byName = new Map(migrations.map((m) => [m.name, m]));
  return runFleet<RepairDetails>(
    {
      command: 'repair',
      tenants: options.tenants,
      ...fanOutOf(options),
      emptyDetails: () => ({ repaired: [] }),
    },
    async (ctx) => {
      const session = await ctx.session();
      const where = historyLocation(session.tenant, options.history);
      return withTenantLock(session, options.lockWaitMs ?? 0, async () => {
        // The history tables go into the tenant's schema, which only a migrating command creates.
        await session.ensureSchema();
        await ensureHistoryTables(session.knex, where, tableLookupOf(session));
        const { applied, recorded } = await readHistoryOf(session, where, new Set(historyTables(where)));
        const repaired: string[] = [];
        const missing: string[] = [];
        for (const { name } of applied) {
          const migration = byName.get(name);
          if (!migration) missing.push(name);
          else if (recorded.get(name) !== migration.checksum) {
            await writeChecksum(session.knex, where, name, migration.checksum, 'repaired');
            repaired.push(name);
          }
        }
        return {
          details: { repaired },
          ...(missing.length
            ? {
                error: {
                  code: 'MIGRATION_MISSING',
                  message: `applied but missing from the directory (restore them): ${missing.join(', ')}`,
                },
              }
            : {}),
        };
      });
    },
  );
}
