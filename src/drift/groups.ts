/** One tenant as drift groups it: the last migration applied and the hash of its structure. */
export interface Fingerprinted {
  id: string;
  /** The newest applied migration's name; null for a database with none applied. */
  version: string | null;
  fingerprint: string;
}

export interface DriftGroup {
  /** 1 is the version's majority; then by size, largest first. */
  group: number;
  fingerprint: string;
  majority: boolean;
  /** Tenant ids, in the order given (inventory order). */
  tenants: string[];
}

export interface VersionGroups {
  version: string | null;
  tenants: number;
  /** Largest first; ties go to the group whose first tenant comes first in the input. */
  groups: DriftGroup[];
  /** The two largest groups are the same size: the majority is the inventory-order tie-break's. */
  tie: boolean;
}

const byVersion = (a: VersionGroups, b: VersionGroups) =>
  a.version === b.version
    ? 0
    : a.version === null
      ? -1
      : b.version === null
        ? 1
        : a.version < b.version
          ? -1
          : 1;

/**
 * Tenants on the same version should have the same structure: groups them per version by fingerprint.
 * The majority is the largest group; between groups of the same size, the one holding the earliest
 * tenant in the input (inventory order) — deterministic, and the same answer on every run of the same
 * inventory. Versions come oldest first (migration names sort by their timestamp), none applied first.
 * Pure.
 */
export function groupByVersion(tenants: readonly Fingerprinted[]): VersionGroups[] {
  const versions = new Map<string | null, Map<string, string[]>>();
  for (const t of tenants) {
    const groups = versions.get(t.version) ?? new Map<string, string[]>();
    groups.set(t.fingerprint, [...(groups.get(t.fingerprint) ?? []), t.id]);
    versions.set(t.version, groups);
  }
  const out: VersionGroups[] = [];
  for (const [version, byFingerprint] of versions) {
    // A Map keeps insertion order: a stable sort on size alone keeps first-seen order among equals.
    const groups = [...byFingerprint.entries()]
      .sort(([, a], [, b]) => b.length - a.length)
      .map(([fingerprint, ids], i) => ({ group: i + 1, fingerprint, majority: i === 0, tenants: ids }));
    out.push({
      version,
      tenants: groups.reduce((n, g) => n + g.tenants.length, 0),
      groups,
      tie: groups.length > 1 && groups[0]!.tenants.length === groups[1]!.tenants.length,
    });
  }
  return out.sort(byVersion);
}
