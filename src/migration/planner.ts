import type { AppliedMigration } from './types.js';

export interface PlanInput {
  /** Migrations on disk, in knex's order (by name; folder after folder with `sortDirsSeparately`). */
  available: readonly { name: string; checksum: string; invalid?: string; folder?: string }[];
  /** knex_migrations rows, in id order. */
  applied: readonly AppliedMigration[];
  /** Checksums dbfleet recorded for applied migrations. */
  recorded: ReadonlyMap<string, string>;
  /** Stop after this migration (inclusive). */
  to?: string;
  allowOutOfOrder?: boolean;
}

export type PlanProblem =
  | { kind: 'edited'; name: string; recorded: string; current: string }
  | { kind: 'missing'; name: string }
  | { kind: 'out-of-order'; name: string; newestApplied: string; folder?: string }
  | { kind: 'invalid'; name: string; why: string };

export interface MigrationPlan {
  /** The newest applied migration, as knex reports it. */
  current: string | null;
  pending: string[];
  problems: PlanProblem[];
  /** Applied migrations with no recorded checksum (applied by knex itself): dbfleet adopts them. */
  adopt: string[];
}

/** Pure: what a tenant would run, and what stops it. Shared by migrate, status and plan. */
export function planMigrations(input: PlanInput): MigrationPlan {
  const availableByName = new Map(input.available.map((m) => [m.name, m.checksum]));
  const appliedNames = new Set(input.applied.map((a) => a.name));
  const problems: PlanProblem[] = [];
  const adopt: string[] = [];

  for (const { name } of input.applied) {
    const current = availableByName.get(name);
    if (current === undefined) {
      problems.push({ kind: 'missing', name });
      continue;
    }
    const recorded = input.recorded.get(name);
    if (recorded === undefined) adopt.push(name);
    else if (recorded !== current) problems.push({ kind: 'edited', name, recorded, current });
  }

  // "Before" and "after" are knex's order of the files, which is not the names' order when folders sort
  // separately. A `to` that names no file keeps the order of names.
  const position = new Map(input.available.map((m, i) => [m.name, i]));
  const before = (a: string, b: string) =>
    position.has(a) && position.has(b) ? position.get(a)! < position.get(b)! : a < b;
  // The newest applied file of each sequence: one, or one per folder under sortDirsSeparately (knex runs
  // a new file of any folder). `available` is in knex's order, so the last applied one seen is the newest.
  const newestApplied = new Map<string | undefined, string>();
  for (const m of input.available) if (appliedNames.has(m.name)) newestApplied.set(m.folder, m.name);
  let pending = input.available.filter((m) => !appliedNames.has(m.name));
  if (input.to !== undefined) pending = pending.filter((m) => !before(input.to!, m.name));
  for (const m of pending) {
    // knex refuses a batch with such a file before running any of it.
    if (m.invalid) problems.push({ kind: 'invalid', name: m.name, why: m.invalid });
    const newest = newestApplied.get(m.folder);
    if (newest !== undefined && !input.allowOutOfOrder && before(m.name, newest))
      problems.push({
        kind: 'out-of-order',
        name: m.name,
        newestApplied: newest,
        ...(m.folder !== undefined ? { folder: m.folder } : {}),
      });
  }
  return {
    current: input.applied.at(-1)?.name ?? null,
    pending: pending.map((m) => m.name),
    problems,
    adopt,
  };
}

export function describeProblem(problem: PlanProblem, directory?: string): string {
  const where = directory ? ` in ${directory}` : '';
  switch (problem.kind) {
    case 'edited':
      return `migration ${problem.name} was edited after it was applied (recorded checksum ${problem.recorded.slice(0, 12)}, file now ${problem.current.slice(0, 12)}); restore the file, or accept the change with \`dbfleet repair\``;
    case 'missing':
      return `migration ${problem.name} is applied but its file is missing${where}`;
    case 'out-of-order':
      return `pending migration ${problem.name} sorts before the newest applied one${problem.folder ? ` of its folder ${problem.folder}` : ''} (${problem.newestApplied}); rename it, or pass --allow-out-of-order`;
    case 'invalid':
      return `invalid migration: ${problem.name} ${problem.why}`;
  }
}
