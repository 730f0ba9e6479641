import type { SchemaShape } from '../dialect/schema-shape.js';
import { shapeHash } from '../dialect/shape-hash.js';
import { type FleetOptions, fanOutOf } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import { runFleet } from '../fleet/run-fleet.js';
import { checkVerbOptions } from '../fleet/verb-options.js';
import { checkHistoryOptions } from '../migration/check-history-options.js';
import {
  type HistorySnapshot,
  historyLocation,
  historyTables,
  readHistoryIfComplete,
  readHistoryOf,
} from '../migration/history.js';
import { compareShapes, type DriftDifference } from './compare.js';
import { type Fingerprinted, groupByVersion, type VersionGroups } from './groups.js';

export type DriftDetails = {
  /** The newest applied migration; null when none is. */
  version: string | null;
  /** Hash of the tenant's structure (see `shapeHash`); null when it could not be read. */
  fingerprint: string | null;
  /** The tenant's group within its version (1 = the majority); null when it could not be read. */
  group: number | null;
  /** What differs from its version's majority; empty for the majority itself. */
  differences: DriftDifference[];
};

export interface DriftSummary {
  /** Some tenant's structure differs from its version's majority. */
  found: boolean;
  versions: VersionGroups[];
}

/** `ok` (exit 0) also requires no drift: every tenant read, and each matches its version's majority. */
export interface DriftReport extends FleetReport<DriftDetails> {
  drift: DriftSummary;
}

/** The history tables are bookkeeping, not the application's structure: knex's CLI and dbfleet differ there. */
function withoutHistory(shape: SchemaShape, names: readonly string[]): SchemaShape {
  const isHistory = (key: string) => names.some((n) => key === n || key.endsWith(`.${n}`));
  return {
    tables: Object.fromEntries(Object.entries(shape.tables).filter(([key]) => !isHistory(key))),
    objects: shape.objects,
  };
}

/**
 * `dbfleet drift`: fingerprints every selected tenant's structure — read-only, no lock, no table created,
 * as `status` — and groups tenants per applied version: tenants on one version whose structures differ
 * are drift, each outlier described against its version's majority. Shapes are kept once per distinct
 * fingerprint, so a fleet of identical tenants holds one in memory.
 */
export interface DriftHooks {
  /**
   * Each tenant's migration history as the pass read it, before its structure: the upgrade's pre-flight
   * plans lint's pending migrations from it instead of a status pass of its own (one connection a tenant).
   */
  onHistory?: (tenantId: string, history: HistorySnapshot) => void;
}

export async function drift(options: FleetOptions, hooks: DriftHooks = {}): Promise<DriftReport> {
  checkVerbOptions('drift', options);
  checkHistoryOptions(options.history, options.tenants);
  const shapes = new Map<string, SchemaShape>();
  const fanOut = fanOutOf(options);
  const report = await runFleet<DriftDetails>(
    {
      command: 'drift',
      tenants: options.tenants,
      ...fanOut,
      sessionOptions: { ...fanOut.sessionOptions, readOnly: true },
      emptyDetails: () => ({ version: null, fingerprint: null, group: null, differences: [] }),
    },
    async (ctx) => {
      const session = await ctx.session();
      const where = historyLocation(session.tenant, options.history);
      // One round trip for the history when its tables are all there (as on any migrated tenant).
      const read = await readHistoryIfComplete(session, where);
      const history = read.snapshot ?? (await readHistoryOf(session, where, read.existing));
      hooks.onHistory?.(ctx.tenant.id, history);
      const { applied } = history;
      const shape = withoutHistory(await session.schemaShape(), historyTables(where));
      const fingerprint = shapeHash(shape);
      if (!shapes.has(fingerprint)) shapes.set(fingerprint, shape);
      return {
        details: { version: applied.at(-1)?.name ?? null, fingerprint, group: null, differences: [] },
      };
    },
  );
  return withDrift(report, shapes, new Map(options.tenants.map((t) => [t.id, t.dialect])));
}

/**
 * Groups the tenants that were read and describes each outlier against its version's majority.
 * `dialectOf` names each tenant's dialect, so that a fleet mixing them is grouped per dialect.
 */
export function withDrift(
  report: FleetReport<DriftDetails>,
  shapes: ReadonlyMap<string, SchemaShape>,
  dialectOf: ReadonlyMap<string, string> = new Map(),
): DriftReport {
  const read: Fingerprinted[] = [];
  for (const t of report.tenants) {
    const d = t.details as Partial<DriftDetails>;
    if (t.status === 'succeeded' && typeof d.fingerprint === 'string')
      read.push({
        id: t.id,
        version: d.version ?? null,
        fingerprint: d.fingerprint,
        dialect: dialectOf.get(t.id),
      });
  }
  const versions = groupByVersion(read);
  const placed = new Map<string, { group: number; majority: string }>();
  for (const v of versions)
    for (const g of v.groups)
      for (const id of g.tenants) placed.set(id, { group: g.group, majority: v.groups[0]!.fingerprint });
  // Outliers sharing a fingerprint share their differences: computed once per pair.
  const diffs = new Map<string, DriftDifference[]>();
  const differencesOf = (majority: string, fingerprint: string): DriftDifference[] => {
    const key = `${majority}:${fingerprint}`;
    let found = diffs.get(key);
    if (!found) {
      found = compareShapes(shapes.get(majority)!, shapes.get(fingerprint)!);
      // Never an outlier without a reason: a difference the parts do not show is the hash's.
      if (found.length === 0)
        found = [{ kind: '~', object: 'structure', expected: majority, found: fingerprint }];
      diffs.set(key, found);
    }
    return found;
  };
  const tenants = report.tenants.map((t) => {
    const at = placed.get(t.id);
    const fingerprint = t.details.fingerprint;
    if (!at || typeof fingerprint !== 'string') return t;
    const differences = fingerprint === at.majority ? [] : differencesOf(at.majority, fingerprint);
    return { ...t, details: { ...t.details, group: at.group, differences } };
  });
  const found = versions.some((v) => v.groups.length > 1);
  return { ...report, ok: report.ok && !found, tenants, drift: { found, versions } };
}
