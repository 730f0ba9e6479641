import { createHash } from 'node:crypto';
import { TenantError } from '../core/errors.js';

/** A migration (its file name) or an optimization (its name), with dbfleet's checksum of its content. */
export interface SetEntry {
  name: string;
  checksum: string;
}

// A queued run's job carries the coordinator's migrations (and optimizations) as a compact list: per
// entry 6 hex digits of its name's hash and 6 of its checksum — 12 bytes a migration, not its name, so
// a job stays small however many migrations a project has, yet a worker whose copy differs can name
// the first difference from its own names.
const VERSION = 'v1:';
const short = (hex: string) => hex.slice(0, 6);
const nameHash = (name: string) => short(createHash('sha256').update(name).digest('hex'));
const codeOf = (e: SetEntry) => `${nameHash(e.name)}${short(e.checksum)}`;

/** What a job carries: the set the coordinator planned and checked the run with. */
export function setDigest(entries: readonly SetEntry[]): string {
  return VERSION + entries.map(codeOf).join(',');
}

/** Where `ours` first differs from the coordinator's `theirs` (a setDigest), or undefined if it does not. */
export function firstDifference(theirs: string, ours: readonly SetEntry[]): string | undefined {
  if (!theirs.startsWith(VERSION)) return "the coordinator's list is in a format this worker does not read";
  const coordinator = theirs.length > VERSION.length ? theirs.slice(VERSION.length).split(',') : [];
  const mine = ours.map(codeOf);
  for (let i = 0; i < Math.max(coordinator.length, mine.length); i++) {
    const c = coordinator[i];
    const m = mine[i];
    if (c === m) continue;
    const entry = ours[i];
    if (c === undefined || !entry)
      return entry
        ? `this worker has ${mine.length - i} the coordinator has not, from ${entry.name}`
        : `this worker lacks the coordinator's last ${coordinator.length - i}${i > 0 ? `, after ${ours[i - 1]?.name}` : ''}`;
    if (c.slice(0, 6) === m?.slice(0, 6)) return `${entry.name} differs from the coordinator's copy`;
    return coordinator.slice(i).some((x) => x.slice(0, 6) === m?.slice(0, 6))
      ? `this worker lacks one the coordinator has before ${entry.name}`
      : `this worker has ${entry.name}, which the coordinator has not`;
  }
  return undefined;
}

/**
 * Refuses a job whose coordinator planned (and linted) the run with other migrations or optimizations
 * than this worker would run: it would apply its own copy, reported as the run's. `expected` missing:
 * a coordinator of a dbfleet that sent none.
 */
export function assertSameSet(
  kind: 'migrations' | 'optimizations',
  expected: unknown,
  ours: readonly SetEntry[],
): void {
  if (typeof expected !== 'string') return;
  const difference = firstDifference(expected, ours);
  if (difference === undefined) return;
  throw new TenantError(
    kind === 'migrations' ? 'WORKER_MIGRATIONS_DIFFER' : 'WORKER_OPTIMIZATIONS_DIFFER',
    `this worker's ${kind} differ from the coordinator's (${difference}): it runs none of this run's tenants; give every runner the same ${kind} folder`,
  );
}

export const optimizationEntries = (
  loaded: readonly { definition: { name: string }; checksum: string }[],
): SetEntry[] => loaded.map((o) => ({ name: o.definition.name, checksum: o.checksum }));
