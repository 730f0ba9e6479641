import type { Knex } from 'knex';
import { earlierRollbacks, rolledBackTenants, runMigrations } from './read.js';
import { MIGRATIONS, RUNS, STEPS } from './schema.js';

/** One tenant of an upgrade run put back to its pre-upgrade state, and by what. */
export interface UpgradeRollback {
  upgradeRun: string;
  tenantId: string;
  /**
   * The `rollback --run` run that rolled the tenant back; the upgrade run's own id when its pipeline
   * rolled the tenant back itself, after a failure.
   */
  rollbackRun: string;
  with: 'restore' | 'down';
  /** When the tenant's rollback finished (epoch ms). */
  at: number;
}

export interface RollbackFilter {
  /** Only the rollbacks of this upgrade run. */
  upgradeRun?: string;
  /** Only these tenants. */
  tenantIds?: readonly string[];
}

const parse = (text: unknown): Record<string, unknown> | null => {
  if (typeof text !== 'string' || text === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};
const howOf = (value: unknown): 'restore' | 'down' => (value === 'down' ? 'down' : 'restore');

/**
 * Which tenants of which upgrade runs were rolled back since, as the journal records it: by a later
 * `rollback --run` (the first that rolled the tenant back: a second one finds it done and says
 * `alreadyRolledBack`; one the run never changed, `unchanged`, had nothing to roll back), or by the
 * upgrade run itself when the tenant failed. A restore must not take such a run's post-upgrade backup
 * for the latest one, and the run's report must say it was undone.
 */
export async function upgradeRollbacks(knex: Knex, filter: RollbackFilter = {}): Promise<UpgradeRollback[]> {
  const found = new Map<string, UpgradeRollback>();
  const key = (r: Pick<UpgradeRollback, 'upgradeRun' | 'tenantId'>) => `${r.upgradeRun}\u0000${r.tenantId}`;
  const ids = filter.tenantIds;
  if (ids && ids.length === 0) return [];

  // Rollback runs name the upgrade run they undo, and how, in their options (see rollback-run.ts).
  const rollbackRuns = new Map<string, { upgradeRun: string; with: 'restore' | 'down' }>();
  /** Plain `rollback` runs (a migration batch, knex-style): see plainRollbacks. */
  const plainRuns: string[] = [];
  for (const r of (await knex(RUNS).where({ command: 'rollback' }).select('run_id', 'options')) as {
    run_id: string;
    options: unknown;
  }[]) {
    const options = parse(r.options);
    if (typeof options?.run !== 'string') {
      plainRuns.push(String(r.run_id));
      continue;
    }
    if (filter.upgradeRun !== undefined && options.run !== filter.upgradeRun) continue;
    rollbackRuns.set(String(r.run_id), { upgradeRun: options.run, with: howOf(options.with) });
  }
  if (rollbackRuns.size > 0) {
    const only = ids ? new Set(ids) : undefined;
    for (const row of await rolledBackTenants(knex, [...rollbackRuns.keys()])) {
      if (only && !only.has(row.tenant_id)) continue;
      const run = rollbackRuns.get(String(row.run_id));
      const details = parse(row.details);
      if (!run || details?.alreadyRolledBack !== undefined || details?.unchanged === true) continue;
      const rollback: UpgradeRollback = {
        upgradeRun: run.upgradeRun,
        tenantId: String(row.tenant_id),
        rollbackRun: String(row.run_id),
        with: run.with,
        at: Number(row.finished_at),
      };
      if (!found.has(key(rollback))) found.set(key(rollback), rollback);
    }
  }

  for (const { migration: _, ...rollback } of await plainRollbacks(knex, plainRuns, filter))
    if (!found.has(key(rollback))) found.set(key(rollback), rollback);

  // An upgrade run's own rollback of a failed tenant is its `rollback` step (a rollback run has one too).
  const q = knex(`${STEPS} as s`)
    .join(`${RUNS} as r`, 'r.run_id', 's.run_id')
    .where({ 'r.command': 'upgrade', 's.step': 'rollback', 's.status': 'succeeded' })
    .select('s.run_id', 's.tenant_id', 's.finished_at', 's.data')
    .orderBy('s.id');
  if (filter.upgradeRun !== undefined) q.where('s.run_id', filter.upgradeRun);
  if (ids) q.whereIn('s.tenant_id', [...ids]);
  for (const row of (await q) as Record<string, unknown>[]) {
    const rollback: UpgradeRollback = {
      upgradeRun: String(row.run_id),
      tenantId: String(row.tenant_id),
      rollbackRun: String(row.run_id),
      with: howOf(parse(row.data)?.with),
      at: Number(row.finished_at),
    };
    if (!found.has(key(rollback))) found.set(key(rollback), rollback);
  }
  return [...found.values()];
}

/**
 * A plain `rollback` (the last batch, or `--to`) that ran the down of a migration an upgrade run had
 * applied to the tenant undid that run there as much as `rollback --run --with down` would: the run's
 * post-upgrade backup holds what was reverted, and `restore` (latest) must not bring it back. The
 * upgrade run is the last one that applied the migration before the down.
 */
async function plainRollbacks(
  knex: Knex,
  plainRuns: readonly string[],
  filter: RollbackFilter,
): Promise<(UpgradeRollback & { migration: string })[]> {
  if (plainRuns.length === 0) return [];
  type Row = { run_id: string; tenant_id: string; name: string; applied_at: number };
  const downsQuery = knex(MIGRATIONS)
    .whereIn('run_id', [...plainRuns])
    .where({ direction: 'down' })
    .select('run_id', 'tenant_id', 'name', 'applied_at');
  const upsQuery = knex(`${MIGRATIONS} as m`)
    .join(`${RUNS} as r`, 'r.run_id', 'm.run_id')
    .where({ 'r.command': 'upgrade', 'm.direction': 'up' })
    .select('m.run_id', 'm.tenant_id', 'm.name', 'm.applied_at');
  if (filter.tenantIds) {
    downsQuery.whereIn('tenant_id', [...filter.tenantIds]);
    upsQuery.whereIn('m.tenant_id', [...filter.tenantIds]);
  }
  const [downs, ups] = (await Promise.all([downsQuery, upsQuery])) as [Row[], Row[]];
  // Each tenant's applications of each migration, newest first: one pass, not a scan per down (a journal
  // of 10,000 tenants holds ~100,000 of them).
  const key = (r: Row) => `${r.tenant_id}\u0000${r.name}`;
  const appliedBy = new Map<string, Row[]>();
  for (const up of ups) appliedBy.set(key(up), [...(appliedBy.get(key(up)) ?? []), up]);
  for (const list of appliedBy.values()) list.sort((a, b) => Number(b.applied_at) - Number(a.applied_at));
  const found: (UpgradeRollback & { migration: string })[] = [];
  for (const down of downs.sort((a, b) => Number(a.applied_at) - Number(b.applied_at))) {
    const applied = appliedBy.get(key(down))?.find((u) => Number(u.applied_at) <= Number(down.applied_at));
    if (!applied) continue;
    if (filter.upgradeRun !== undefined && applied.run_id !== filter.upgradeRun) continue;
    found.push({
      upgradeRun: String(applied.run_id),
      tenantId: String(down.tenant_id),
      rollbackRun: String(down.run_id),
      with: 'down',
      at: Number(down.applied_at),
      migration: String(down.name),
    });
  }
  return found;
}

/** The plain `rollback` runs in the journal (a migration batch; `rollback --run` names its upgrade run). */
async function plainRollbackRuns(knex: Knex, except?: string): Promise<string[]> {
  const runs = (await knex(RUNS).where({ command: 'rollback' }).select('run_id', 'options')) as {
    run_id: string;
    options: unknown;
  }[];
  return runs
    .filter((r) => typeof parse(r.options)?.run !== 'string' && r.run_id !== except)
    .map((r) => String(r.run_id));
}

/**
 * The tenants of `upgradeRunId` rolled back already, each with the run that did it, for a new
 * `rollback --run` of it to leave alone: an earlier `rollback --run` (earlierRollbacks), or plain
 * `rollback`s that ran the down of every migration the run applied to the tenant — restoring its
 * pre-upgrade backup again would lose what was written since. One that reverted only some of them
 * does not count: the rest is still the run's to roll back.
 */
export async function rolledBackEarlier(
  knex: Knex,
  upgradeRunId: string,
  options: { tenantId?: string; except?: string } = {},
): Promise<Map<string, string>> {
  const byTenant = await earlierRollbacks(knex, upgradeRunId, options);
  const tenantIds = options.tenantId !== undefined ? [options.tenantId] : undefined;
  const downs = await plainRollbacks(knex, await plainRollbackRuns(knex, options.except), {
    upgradeRun: upgradeRunId,
    ...(tenantIds ? { tenantIds } : {}),
  });
  if (downs.length === 0) return byTenant;
  const applied = await runMigrations(knex, upgradeRunId, options.tenantId);
  for (const [tenantId, names] of applied) {
    if (byTenant.has(tenantId) || names.length === 0) continue;
    const mine = downs.filter((d) => d.tenantId === tenantId);
    if (names.every((name) => mine.some((d) => d.migration === name)))
      byTenant.set(tenantId, mine.at(-1)!.rollbackRun);
  }
  return byTenant;
}
