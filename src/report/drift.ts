import { readFile } from 'node:fs/promises';
import { compareFingerprints, type FingerprintDifference } from '../backup/compare.js';
import { manifestPathFor } from '../backup/files.js';
import { parseManifest } from '../backup/manifest.js';
import type { Fingerprint } from '../dialect/backup-types.js';
import { dialectOfBackupFile } from '../dialect/registry.js';
import { isStructurePrint, printAsFingerprint, type StructurePrint } from '../dialect/structure-print.js';
import { groupByVersion } from '../drift/groups.js';
import type { StepRow } from '../journal/read.js';
import { historyLocation, historyTables } from '../migration/history-location.js';
import { groupBy } from '../util/group-by.js';
import type { DriftSection, TenantReport } from './types.js';

/** One tenant's backup fingerprint of the reported run, and the version it was taken at. */
export interface RecordedFingerprint {
  tenantId: string;
  version: string | null;
  fingerprint: Fingerprint;
  /** The backup's dialect (by its file's extension): a fleet mixing dialects is grouped per dialect. */
  dialect?: string;
  /** The structure as drift reads it, recorded beside the backup (runs since it was): see StructurePrint. */
  structure?: StructurePrint;
}

const isFingerprint = (v: unknown): v is Fingerprint =>
  typeof v === 'object' && v !== null && typeof (v as Fingerprint).schemaHash === 'string';

/** The step data's fingerprint (an upgrade journals it), else the one in the backup's manifest. */
async function fingerprintOf(data: Record<string, unknown>): Promise<Fingerprint | undefined> {
  if (isFingerprint(data.fingerprint)) return data.fingerprint;
  if (typeof data.path !== 'string') return undefined;
  try {
    return parseManifest(await readFile(manifestPathFor(data.path), 'utf8')).fingerprint;
  } catch {
    // Retention deleted it, or the backup volume is not mounted here: the report says what it can.
    return undefined;
  }
}

/**
 * The version a backup step of this run was taken at. After the migrations (`backup-post`): the migrate
 * step's `current`. Before them (`backup-pre`): named by the first migration the run applied —
 * tenants that applied the same one started from the same version; the tenant's current version when
 * the run applied none or rolled back. The `backup` command's: the tenant's current version.
 */
function versionAt(step: StepRow, steps: readonly StepRow[], t: TenantReport): string | null {
  const current = t.current?.name ?? null;
  const migrate = steps.findLast((s) => s.step === 'migrate' && s.status === 'succeeded')?.data;
  if (step.step === 'backup-post')
    return typeof migrate?.current === 'string' || migrate?.current === null ? migrate.current : current;
  if (step.step !== 'backup-pre' || t.applied.length === 0 || t.current?.source === 'rollback-step')
    return current;
  return `before ${t.applied[0]}`;
}

const BACKUP_STEPS = ['backup-post', 'backup-pre', 'backup'];

/** The print the backup recorded: in its own step's data (`backup`), or in the `backup` step that wrote its file (an upgrade's). */
function structureOf(step: StepRow, steps: readonly StepRow[]): StructurePrint | undefined {
  if (isStructurePrint(step.data?.structure)) return step.data.structure;
  const path = step.data?.path;
  const writer = steps.findLast(
    (s) => s.step === 'backup' && s.status === 'succeeded' && s.data?.path === path,
  );
  return isStructurePrint(writer?.data?.structure) ? writer.data.structure : undefined;
}

/** dbfleet's and knex's bookkeeping, left out as `dbfleet drift` leaves it out (default names). */
const HISTORY = new Set(historyTables(historyLocation({})));
const isHistory = (key: string) => HISTORY.has(key.slice(key.lastIndexOf('.') + 1));

/**
 * What each tenant is compared by: a schema tenant by the structure print its backup recorded (names
 * relative to its schema: schema tenants compare alike), a database tenant by its manifest's fingerprint.
 * The two are never compared with each other (their hashes differ by construction): schema tenants are
 * grouped apart, under their dialect's label. (A schema tenant of a run recorded before the prints has
 * only its manifest, which names its schema inside every hash: it shows as differing, as it did then.)
 */
function comparable(recorded: readonly RecordedFingerprint[]): RecordedFingerprint[] {
  const out: RecordedFingerprint[] = [];
  for (const r of recorded) {
    if (r.structure)
      out.push({
        ...r,
        fingerprint: printAsFingerprint(r.structure, isHistory),
        dialect: r.dialect ? `${r.dialect}, schema tenants` : 'schema tenants',
      });
    else out.push(r);
  }
  return out;
}

/** Per tenant, the newest fingerprint this run's backups recorded (after the migrations when there is one). */
export async function recordedFingerprints(
  tenants: readonly TenantReport[],
  steps: readonly StepRow[],
): Promise<RecordedFingerprint[]> {
  const byTenant = groupBy(steps, (s) => s.tenantId);
  const out: RecordedFingerprint[] = [];
  for (const t of tenants) {
    const own = byTenant.get(t.id) ?? [];
    for (const name of BACKUP_STEPS) {
      const step = own.findLast((s) => s.step === name && s.status === 'succeeded' && s.data);
      const fingerprint = step && (await fingerprintOf(step.data!));
      if (!step || !fingerprint) continue;
      const dialect = typeof step.data!.path === 'string' ? dialectOfBackupFile(step.data!.path) : undefined;
      const structure = structureOf(step, own);
      out.push({
        tenantId: t.id,
        version: versionAt(step, own, t),
        fingerprint,
        ...(dialect ? { dialect } : {}),
        ...(structure ? { structure } : {}),
      });
      break;
    }
  }
  return out;
}

/** Structure only: row counts and content differ between tenants by nature. */
const structural = (d: FingerprintDifference) =>
  d.what === 'missing' || d.what === 'unexpected' || d.what === 'schema';
const MARK: Record<string, string> = { missing: '-', unexpected: '+', schema: '~' };

/**
 * The Drift section (pure): per version, tenants grouped by the structure their backup recorded (see
 * `comparable`); each outlier
 * with the tables and objects whose hash differs from its version's majority (a backup fingerprint
 * holds a hash per table, not the parts: `dbfleet drift` says what differs inside).
 */
export function driftSection(all: readonly RecordedFingerprint[]): DriftSection | undefined {
  if (all.length === 0) return undefined;
  const recorded = comparable(all);
  const byId = new Map(recorded.map((r) => [r.tenantId, r.fingerprint]));
  const versions = groupByVersion(
    recorded.map((r) => ({
      id: r.tenantId,
      version: r.version,
      fingerprint: r.fingerprint.schemaHash,
      ...(r.dialect ? { dialect: r.dialect } : {}),
    })),
  );
  const outliers: DriftSection['outliers'] = [];
  for (const v of versions) {
    const majority = byId.get(v.groups[0]!.tenants[0]!)!;
    for (const g of v.groups.slice(1))
      for (const id of g.tenants)
        outliers.push({
          tenantId: id,
          version: v.version,
          ...(v.dialect ? { dialect: v.dialect } : {}),
          schemaHash: g.fingerprint,
          expected: majority.schemaHash,
          differences: compareFingerprints(majority, byId.get(id)!)
            .filter(structural)
            .map((d) => `${MARK[d.what]} ${d.table}`),
        });
  }
  return {
    tenants: recorded.length,
    versions: versions.map((v) => ({
      version: v.version,
      ...(v.dialect ? { dialect: v.dialect } : {}),
      tenants: v.tenants,
      groups: v.groups.map((g) => ({
        schemaHash: g.fingerprint,
        tenants: g.tenants.length,
        majority: g.majority,
      })),
    })),
    outliers,
  };
}
