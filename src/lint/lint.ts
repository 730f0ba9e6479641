import type { TenantResult } from '../core/events.js';
import type { DialectName, Tenant } from '../core/tenant.js';
import type { StillNew } from '../dialect/lint-types.js';
import type { KnexSettings } from '../dialect/types.js';
import { checkVerbOptions, MIGRATIONS } from '../fleet/verb-options.js';
import { type MigrationOptions, resolveMigrations } from '../migration/migrate-fleet.js';
import { status } from '../migration/status-fleet.js';
import type { Migration } from '../migration/types.js';
import { acceptsOfAll } from './accept.js';
import { deriveStatements } from './derive.js';
import { linterFor, lintSequence, type SequenceItem } from './run.js';
import type { LintReport, MigrationLint } from './types.js';

export interface LintOptions extends MigrationOptions {
  /**
   * Lint every migration of the folder without touching a database, each as if it ran alone on a live
   * database (a table it creates is new only within it). Default: what the selected tenants would run.
   */
  all?: boolean;
  /** With `all`: whose SQL to derive (default the selected tenants' dialects, else postgres). */
  dialect?: DialectName;
  /**
   * Each selected tenant's pending migrations, already read by the caller's own pass over the fleet (the
   * upgrade's pre-flight reads them with drift's), or why they could not be read: lint then opens no
   * connection of its own. Default: a read-only status pass.
   */
  pendingByTenant?: ReadonlyMap<string, PendingRead>;
}

/** A tenant's pending migrations, or why they could not be read. */
export type PendingRead = { pending: readonly string[] } | { error: { code: string; message: string } };

interface DialectPlan {
  dialect: DialectName;
  /** Derives knex migrations' SQL with this tenant's settings; none: an offline one. */
  tenant?: Tenant;
  targets: ReadonlySet<string>;
  stillNew: StillNew;
}

async function lintDialect(
  plan: DialectPlan,
  migrations: readonly Migration[],
  accepts: Map<string, Map<string, string>>,
  knexSettings: KnexSettings | undefined,
): Promise<MigrationLint[]> {
  const linter = await linterFor(plan.dialect, plan.stillNew);
  if (!linter) return [];
  // Earlier migrations are read too, for what they did to the schema (a column's type, a validated check).
  const last = migrations.findLastIndex((m) => plan.targets.has(m.name));
  const items: SequenceItem[] = [];
  for (const migration of migrations.slice(0, last + 1)) {
    const derived = await deriveStatements(plan.dialect, migration, plan.tenant, knexSettings);
    items.push({ migration, ...derived, target: plan.targets.has(migration.name) });
  }
  return lintSequence(plan.dialect, linter, items, accepts);
}

/** Why a tenant's pending migrations are unknown: its pass's error, or its status (skipped, not started). */
export function unreadOf(t: Pick<TenantResult, 'status' | 'error'>): PendingRead {
  return { error: { code: t.error?.code ?? t.status, message: t.error?.message ?? '' } };
}

/** Every selected tenant's pending migrations, from a read-only status pass (problems do not hide them). */
async function readPending(
  options: LintOptions,
  migrations: readonly Migration[],
): Promise<ReadonlyMap<string, PendingRead>> {
  const result = await status({ ...options, migrations });
  const reads = new Map<string, PendingRead>();
  for (const t of result.tenants) {
    const pending = (t.details as { pending?: unknown }).pending;
    const readable = t.status === 'succeeded' || t.error?.code === 'MIGRATION_PROBLEMS';
    reads.set(t.id, readable && Array.isArray(pending) ? { pending: pending as string[] } : unreadOf(t));
  }
  return reads;
}

/** Pending migrations per dialect, and on which tenants. */
async function pendingPlans(options: LintOptions, migrations: readonly Migration[], report: LintReport) {
  const reads = options.pendingByTenant ?? (await readPending(options, migrations));
  const byDialect = new Map<DialectName, { tenant: Tenant; pendingOn: Map<string, Set<string>> }>();
  for (const tenant of options.tenants) {
    const read = reads.get(tenant.id) ?? {
      error: { code: 'NOT_STARTED', message: 'its migration history was not read' },
    };
    if ('error' in read) {
      report.unreadTenants.push({ id: tenant.id, ...read.error });
      continue;
    }
    const entry = byDialect.get(tenant.dialect) ?? { tenant, pendingOn: new Map() };
    byDialect.set(tenant.dialect, entry);
    for (const name of read.pending) {
      const on = entry.pendingOn.get(name) ?? new Set<string>();
      entry.pendingOn.set(name, on.add(tenant.id));
    }
  }
  return [...byDialect].map(([dialect, { tenant, pendingOn }]): DialectPlan => {
    const on = (name: string) => pendingOn.get(name) ?? new Set<string>();
    return {
      dialect,
      tenant,
      targets: new Set(pendingOn.keys()),
      // A table is still new for a later migration when every tenant that runs that one creates it first.
      stillNew: (createdIn, current) =>
        on(current).size > 0 && [...on(current)].every((id) => on(createdIn).has(id)),
    };
  });
}

function allPlans(options: LintOptions, migrations: readonly Migration[]): DialectPlan[] {
  const fromTenants = [...new Set(options.tenants.map((t) => t.dialect))];
  const dialects = options.dialect
    ? [options.dialect]
    : fromTenants.length
      ? fromTenants
      : ['postgres' as const];
  const targets = new Set(migrations.map((m) => m.name));
  return dialects.map((dialect) => ({
    dialect,
    targets,
    stillNew: (createdIn, current) => createdIn === current,
  }));
}

/**
 * `dbfleet lint`: flags the statements of migrations that take heavy locks or rewrite tables on a live
 * database, before they run. Reads tenants only to know what is pending (as `status` does); changes nothing.
 */
export async function lint(options: LintOptions): Promise<LintReport> {
  // Not the fleet options: `all` lints the folder alone, with no tenants.
  checkVerbOptions('lint', options, { migrations: MIGRATIONS }, false);
  const { migrations } = await resolveMigrations(options);
  const accepts = acceptsOfAll(migrations);
  const report: LintReport = {
    command: 'lint',
    ok: true,
    mode: options.all ? 'all' : 'pending',
    migrations: [],
    summary: { migrations: 0, findings: 0, accepted: 0, unaccepted: 0 },
    unreadTenants: [],
    notes: [],
  };
  const plans = options.all ? allPlans(options, migrations) : await pendingPlans(options, migrations, report);
  for (const plan of plans) {
    if (plan.dialect === 'sqlite') {
      report.notes.push(
        'SQLite tenants are not linted: lint has no SQLite rules (SQLite has no concurrent DDL to steer towards)',
      );
      continue;
    }
    report.migrations.push(...(await lintDialect(plan, migrations, accepts, options.knex)));
  }
  const findings = report.migrations.flatMap((m) => m.findings);
  const accepted = findings.filter((f) => f.accepted !== undefined).length;
  report.summary = {
    migrations: report.migrations.length,
    findings: findings.length,
    accepted,
    unaccepted: findings.length - accepted,
  };
  report.ok = report.summary.unaccepted === 0 && report.unreadTenants.length === 0;
  return report;
}
