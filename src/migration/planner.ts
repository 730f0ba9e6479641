import type { AppliedMigration } from './types.js';

export interface PlanInput {
  /** Migrations on disk, sorted by name. */
  available: readonly { name: string; checksum: string }[];
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
  | { kind: 'out-of-order'; name: string; newestApplied: string };

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

  const newestApplied = [...appliedNames].sort().at(-1);
  let pending = input.available.map((m) => m.name).filter((name) => !appliedNames.has(name));
  if (input.to !== undefined) pending = pending.filter((name) => name <= input.to!);
  if (newestApplied !== undefined && !input.allowOutOfOrder) {
    for (const name of pending) {
      if (name < newestApplied) problems.push({ kind: 'out-of-order', name, newestApplied });
    }
  }
  return { current: input.applied.at(-1)?.name ?? null, pending, problems, adopt };
}

export function describeProblem(problem: PlanProblem, directory?: string): string {
  const where = directory ? ` in ${directory}` : '';
  switch (problem.kind) {
    case 'edited':
      return `migration ${problem.name} was edited after it was applied (recorded checksum ${problem.recorded.slice(0, 12)}, file now ${problem.current.slice(0, 12)}); restore the file, or accept the change with \`dbfleet repair\``;
    case 'missing':
      return `migration ${problem.name} is applied but its file is missing${where}`;
    case 'out-of-order':
      return `pending migration ${problem.name} sorts before the newest applied one (${problem.newestApplied}); rename it, or pass --allow-out-of-order`;
  }
}
