import { type ErrorInfo, UsageError } from '../core/errors.js';
import type { FleetEvent } from '../core/events.js';
import type { Tenant } from '../core/tenant.js';
import { drift } from '../drift/fleet.js';
import type { FleetOptions } from '../fleet/options.js';
import { lint } from '../lint/index.js';
import { type PendingRead, unreadOf } from '../lint/lint.js';
import type { LintFinding } from '../lint/types.js';
import type { MigrationOptions } from '../migration/migrate-fleet.js';
import { PROBLEM_CODES } from '../migration/plan-tenant.js';
import { describeProblem, type PlanProblem, planMigrations } from '../migration/planner.js';
import type { Migration } from '../migration/types.js';

export interface PreflightOptions {
  /** The migrations the upgrade applies (from `prepareUpgrade`): what lint reads. */
  migrations: readonly Migration[];
  /** Start despite unaccepted lint findings (recorded in the journal and the report). */
  allowUnsafe?: boolean;
  /** Start despite drift among the first wave's tenants (recorded in the journal and the report). */
  allowDrift?: boolean;
}

/** What the checks found, kept with the run's options in the journal so the report can say it. */
export interface PreflightRecord {
  /** Unaccepted lint findings, as `migration: rule`; the run started only because of `allowUnsafe`. */
  unsafe: string[];
  /** Tenants whose structure differs from their version's majority; `firstWave` ones need `allowDrift`. */
  drift: { firstWave: string[]; later: string[] };
  allowUnsafe: boolean;
  allowDrift: boolean;
}

const MAX_LISTED = 10;

/** Up to MAX_LISTED items, one an indented line. */
export function listed(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).map((i) => `  ${i}`);
  if (items.length > MAX_LISTED) shown.push(`  … and ${items.length - MAX_LISTED} more`);
  return shown.join('\n');
}

function describeFinding(f: LintFinding): string {
  return `${f.migration}: ${f.rule}${f.detail ? ` (${f.detail})` : ''}`;
}

/**
 * Before an upgrade's first wave: lints what the selected tenants would run and looks for schema drift
 * among them. An unaccepted finding, or drift in the first wave (the canary, when there is one), stops the
 * run before it changes anything — a usage error, exit 2 — unless the caller allows it; what was allowed
 * is returned for the journal. Drift in later waves is reported and does not stop the run: the canary
 * is what the gate protects, and the later tenants get their own per-tenant checks.
 */
export async function preflight(
  fleet: FleetOptions & Pick<MigrationOptions, 'to' | 'allowOutOfOrder'>,
  firstWave: readonly Tenant[],
  options: PreflightOptions,
  emit: (event: FleetEvent) => void,
): Promise<{ record: PreflightRecord; unread: ReadonlyMap<string, ErrorInfo> }> {
  // Neither check journals nor prints progress of its own: they are part of this run's start. Both read,
  // from here, also when the run's tenants go to queue workers.
  const quiet: FleetOptions = { ...fleet, onEvent: undefined, journal: undefined, remote: undefined };
  // One read-only pass over the tenants for both checks: drift reads each tenant's history before its
  // structure, and lint's pending migrations are planned from that history as `status` plans them —
  // instead of a status pass of lint's own (a second connection and history read per tenant).
  const pendingByTenant = new Map<string, PendingRead>();
  // What the migrate step would refuse on (a pending file that does not load, an edited applied one): found
  // now, not after each tenant was closed for maintenance and backed up.
  const problemsByTenant = new Map<string, PlanProblem[]>();
  const driftReport = await drift(quiet, {
    onHistory: (id, { applied, recorded }) => {
      const plan = planMigrations({
        available: options.migrations,
        applied,
        recorded,
        to: fleet.to,
        allowOutOfOrder: fleet.allowOutOfOrder,
      });
      pendingByTenant.set(id, { pending: plan.pending });
      if (plan.problems.length > 0) problemsByTenant.set(id, plan.problems);
    },
  });
  const { invalid, refusedTenants } = migrationProblems(problemsByTenant);
  for (const t of driftReport.tenants) if (!pendingByTenant.has(t.id)) pendingByTenant.set(t.id, unreadOf(t));
  const lintReport = await lint({ ...quiet, migrations: options.migrations, pendingByTenant });
  const unsafe = lintReport.migrations
    .flatMap((m) => m.findings)
    .filter((f) => f.accepted === undefined)
    .map(describeFinding);
  // A tenant the pass could not read (unreachable, its database gone) is that tenant's failure, as in any
  // other command: it is not upgraded — what it would run was not linted — and the others go on.
  const unread = new Map<string, ErrorInfo>(
    lintReport.unreadTenants.map((t) => [
      t.id,
      {
        code: t.code as ErrorInfo['code'],
        message: `pre-flight could not read the tenant, so it is not upgraded (nothing was changed): ${t.message}`,
      },
    ]),
  );
  // A tenant whose history the migrate step would refuse (edited or missing applied migrations, out of
  // order): that tenant's problem — failed untouched, like one the pass could not read; the others go on.
  for (const [id, info] of refusedTenants) if (!unread.has(id)) unread.set(id, info);
  if (unread.size > 0)
    emit({
      type: 'notice',
      level: 'warn',
      message: `pre-flight: ${unread.size} tenant(s) could not be read and are not upgraded: ${[...unread.keys()].slice(0, MAX_LISTED).join(', ')}`,
    });

  const inFirstWave = new Set(firstWave.map((t) => t.id));
  const outliers = driftReport.tenants.filter((t) => (t.details.group ?? 0) > 1);
  const record: PreflightRecord = {
    unsafe,
    drift: {
      firstWave: outliers.filter((t) => inFirstWave.has(t.id)).map((t) => t.id),
      later: outliers.filter((t) => !inFirstWave.has(t.id)).map((t) => t.id),
    },
    allowUnsafe: Boolean(options.allowUnsafe),
    allowDrift: Boolean(options.allowDrift),
  };

  const refusals: string[] = [];
  if (invalid.length > 0)
    refusals.push(
      `migrations: ${invalid.length} pending migration(s) cannot run on any tenant (fix the file; nothing would be migrated, and each tenant would be closed and backed up first):\n${listed(invalid)}`,
    );
  if (unsafe.length > 0 && !options.allowUnsafe)
    refusals.push(
      `lint: ${unsafe.length} unsafe statement(s) not accepted (dbfleet lint shows why and the safe pattern; accept one with \`-- dbfleet: allow=<rule> reason: …\`, or start anyway with --allow-unsafe):\n${listed(unsafe)}`,
    );
  if (record.drift.firstWave.length > 0 && !options.allowDrift)
    refusals.push(
      `drift: ${record.drift.firstWave.length} tenant(s) of the first wave differ from the others on their version (dbfleet drift shows how; start anyway with --allow-drift):\n${listed(record.drift.firstWave)}`,
    );
  if (refusals.length > 0)
    throw new UsageError(`pre-flight refused the upgrade; nothing was changed.\n${refusals.join('\n')}`);

  if (unsafe.length > 0)
    emit({
      type: 'notice',
      level: 'warn',
      message: `--allow-unsafe: starting with ${unsafe.length} unsafe statement(s) not accepted`,
    });
  if (record.drift.firstWave.length > 0)
    emit({
      type: 'notice',
      level: 'warn',
      message: `--allow-drift: ${record.drift.firstWave.length} first-wave tenant(s) drift`,
    });
  if (record.drift.later.length > 0)
    emit({
      type: 'notice',
      level: 'warn',
      message: `drift: ${record.drift.later.length} tenant(s) of later waves differ from the others on their version (dbfleet drift): ${record.drift.later.slice(0, MAX_LISTED).join(', ')}`,
    });
  return { record, unread };
}

/**
 * The pass's plan problems: pending files that cannot run (the same for every tenant: the run is refused),
 * and each tenant's own (its history disagrees with the folder: that tenant fails, nothing changed).
 */
function migrationProblems(byTenant: ReadonlyMap<string, PlanProblem[]>): {
  invalid: string[];
  refusedTenants: Map<string, ErrorInfo>;
} {
  const invalid = new Set<string>();
  const refusedTenants = new Map<string, ErrorInfo>();
  for (const [id, problems] of byTenant) {
    for (const p of problems) if (p.kind === 'invalid') invalid.add(describeProblem(p));
    const own = problems.filter((p) => p.kind !== 'invalid');
    if (own.length > 0)
      refusedTenants.set(id, {
        code: PROBLEM_CODES[own[0]!.kind],
        message: `pre-flight: ${own.map((p) => describeProblem(p)).join('; ')} — not upgraded (nothing was changed)`,
      });
  }
  return { invalid: [...invalid], refusedTenants };
}
