import { formatDuration } from '../util/duration.js';
import type {
  BackupInfo,
  DriftSection,
  DurationStats,
  FleetDocument,
  StepTiming,
  TenantReport,
  TenantVersion,
} from './types.js';

/** Plain-text labels shared by the renderers (each renderer escapes them for its own format). */

export const ms = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : formatDuration(value);

/** `2024-05-01 10:22:03Z` — second precision, UTC, unambiguous. */
export const when = (isoTime: string | null): string =>
  isoTime === null ? '—' : isoTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function versionLabel(v: TenantVersion | null | { version: string | null; known: boolean }): string {
  if (v === null) return 'unknown';
  if ('known' in v) return !v.known ? 'unknown' : (v.version ?? '(no migrations)');
  return v.name ?? '(no migrations)';
}

export function bytesLabel(bytes: number | null): string {
  if (bytes === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function verifiedLabel(b: BackupInfo | null): string {
  if (b === null) return 'no backup';
  if (b.verified) return `verified (${b.verified})`;
  return b.verifyError ? 'FAILED verification' : 'not verified';
}

export function backupLabel(b: BackupInfo | null): string {
  if (b === null) return '—';
  const taken = b.takenAt === null ? 'verified only' : `${when(b.takenAt)} ${b.step ?? ''}`.trim();
  return `${taken}${b.bytes !== null ? ` ${bytesLabel(b.bytes)}` : ''}`;
}

export const stepLabel = (s: StepTiming): string =>
  `${s.step} ${s.status === 'succeeded' ? 'ok' : s.status} ${ms(s.durationMs)}`;

/** "8 ok" or "failed at migrate" — a tenant's steps in a table cell. */
export function stepsSummary(t: TenantReport): string {
  if (t.steps.length === 0) return '—';
  if (t.failedStep) return `failed at ${t.failedStep}`;
  const ok = t.steps.filter((s) => s.status === 'succeeded').length;
  return ok === t.steps.length ? `${ok} ok` : `${ok}/${t.steps.length} ok`;
}

export const statsLabel = (s: DurationStats): string =>
  s.count === 0 ? 'none' : `p50 ${ms(s.p50)} · p95 ${ms(s.p95)} · max ${ms(s.max)} (n=${s.count})`;

export function runLine(doc: FleetDocument): string {
  const r = doc.run;
  const checked = preflightNote(r.options?.preflight);
  return `run ${r.runId} · ${r.command} · ${r.status} · started ${when(r.startedAt)}${r.durationMs !== null ? ` · took ${ms(r.durationMs)}` : ''}${checked ? ` · ${checked}` : ''}`;
}

/** What an upgrade's pre-flight checks let through, as its run journaled them (`upgrade/preflight.ts`). */
function preflightNote(recorded: unknown): string | undefined {
  if (!recorded || typeof recorded !== 'object') return undefined;
  const p = recorded as { unsafe?: unknown; drift?: { firstWave?: unknown; later?: unknown } };
  const count = (v: unknown) => (Array.isArray(v) ? v.length : 0);
  const notes: string[] = [];
  if (count(p.unsafe)) notes.push(`started with --allow-unsafe over ${count(p.unsafe)} unsafe statement(s)`);
  if (count(p.drift?.firstWave))
    notes.push(`started with --allow-drift over ${count(p.drift?.firstWave)} drifted first-wave tenant(s)`);
  if (count(p.drift?.later)) notes.push(`${count(p.drift?.later)} later-wave tenant(s) had drifted`);
  return notes.length ? `pre-flight: ${notes.join('; ')}` : 'pre-flight: lint and drift passed';
}

/** Ids in a sentence: all of a short list, the first ones and a count of a long one. */
const someIds = (ids: readonly string[], max = 10) =>
  ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;

/**
 * "ROLLED BACK: 2 of 3 tenant(s) — by rollback run R (restore, finished …): a, b", for the top of the
 * report of an upgrade run that later `rollback --run` runs undid; undefined when none did.
 */
export function rolledBackLine(doc: FleetDocument): string | undefined {
  const undone = doc.rolledBack;
  if (!undone) return undefined;
  const runs = undone.runs.map((r) => {
    const at = r.finishedAt ? `finished ${when(r.finishedAt)}` : `started ${when(r.startedAt)}, ${r.status}`;
    return `by rollback run ${r.runId} (${r.with}, ${at}): ${someIds(r.tenants)}`;
  });
  return `ROLLED BACK: ${undone.tenants} of ${doc.summary.total} tenant(s) — ${runs.join('; ')}`;
}

export function summaryLine(doc: FleetDocument): string {
  const s = doc.summary;
  return `${s.total} tenant(s): ${s.succeeded} succeeded, ${s.failed} failed, ${s.skipped} skipped${s.unfinished ? `, ${s.unfinished} unfinished` : ''}; ${s.withProblems} with problems`;
}

/** Failed tenants first, then ones with problems, then the rest; by id within each. */
export function tenantsByUrgency(doc: FleetDocument): TenantReport[] {
  const rank = (t: TenantReport) => (t.status === 'failed' ? 0 : t.problems.length ? 1 : 2);
  return [...doc.tenants].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}

/** A Drift row's version, with its dialect when the run's backups mix them. */
export const driftVersion = (v: { version: string | null; dialect?: string }) =>
  `${v.version ?? '(none applied)'}${v.dialect ? ` (${v.dialect})` : ''}`;

/** The Drift section's rows per version: version, tenants, its fingerprints (majority first), one per line. */
export function driftVersionRows(drift: DriftSection): string[][] {
  return drift.versions.map((v) => [
    driftVersion(v),
    String(v.tenants),
    v.groups.map((g) => `${g.schemaHash.slice(0, 12)} × ${g.tenants}`).join('\n'),
  ]);
}

/** The Drift section's outlier rows: tenant, version, its fingerprint, the majority's, what differs. */
export function driftOutlierRows(drift: DriftSection): string[][] {
  return drift.outliers.map((o) => [
    o.tenantId,
    driftVersion(o),
    o.schemaHash.slice(0, 12),
    o.expected.slice(0, 12),
    o.differences.join('\n'),
  ]);
}
