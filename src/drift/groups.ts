/** One tenant as drift groups it: the last migration applied and the hash of its structure. */
export interface Fingerprinted {
  id: string;
  /** The newest applied migration's name; null for a database with none applied. */
  version: string | null;
  fingerprint: string;
  /** The tenant's dialect: structures of two dialects always differ, so a mixed fleet groups per dialect. */
  dialect?: string;
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
  /** Set only when the fleet mixes dialects: the groups are then per (dialect, version). */
  dialect?: string;
  tenants: number;
  /** Largest first; ties go to the group whose first tenant comes first in the input. */
  groups: DriftGroup[];
  /** The two largest groups are the same size: the majority is the inventory-order tie-break's. */
  tie: boolean;
}

const byVersion = (a: VersionGroups, b: VersionGroups) =>
  a.version === b.version
    ? (a.dialect ?? '').localeCompare(b.dialect ?? '')
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
 * A fleet mixing dialects is grouped per dialect and version: a PostgreSQL and a SQLite tenant never
 * share a fingerprint, and their difference is not drift. Pure.
 */
export function groupByVersion(tenants: readonly Fingerprinted[]): VersionGroups[] {
  const mixed = new Set(tenants.map((t) => t.dialect)).size > 1;
  const versions = new Map<
    string,
    { version: string | null; dialect?: string; groups: Map<string, string[]> }
  >();
  for (const t of tenants) {
    const dialect = mixed ? t.dialect : undefined;
    const key = JSON.stringify([t.version, dialect ?? null]);
    const at = versions.get(key) ?? {
      version: t.version,
      ...(dialect ? { dialect } : {}),
      groups: new Map(),
    };
    at.groups.set(t.fingerprint, [...(at.groups.get(t.fingerprint) ?? []), t.id]);
    versions.set(key, at);
  }
  const out: VersionGroups[] = [];
  for (const { version, dialect, groups: byFingerprint } of versions.values()) {
    // A Map keeps insertion order: a stable sort on size alone keeps first-seen order among equals.
    const groups = [...byFingerprint.entries()]
      .sort(([, a], [, b]) => b.length - a.length)
      .map(([fingerprint, ids], i) => ({ group: i + 1, fingerprint, majority: i === 0, tenants: ids }));
    out.push({
      version,
      ...(dialect ? { dialect } : {}),
      tenants: groups.reduce((n, g) => n + g.tenants.length, 0),
      groups,
      tie: groups.length > 1 && groups[0]!.tenants.length === groups[1]!.tenants.length,
    });
  }
  return out.sort(byVersion);
}
