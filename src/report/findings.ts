import type { RunRow, RunTenantRow, StepRow } from '../journal/read.js';
import type { BackupInfo, TenantVersion, VerifiedLevel } from './types.js';

export interface MigrationLogRow {
  tenantId: string;
  name: string;
  direction: string;
}

export type Finding = { kind: 'none' } | { kind: 'known'; version: TenantVersion } | { kind: 'unknown' };

export interface Verification {
  verified: VerifiedLevel;
  at: number | null;
  error: string | null;
}

/** A backup before its verdict is attached. */
export type TakenBackup = Omit<BackupInfo, 'verified' | 'verifiedAt' | 'verifyError'>;

export const iso = (ms: number) => new Date(ms).toISOString();
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const optionalNumber = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const optionalString = (v: unknown) => (typeof v === 'string' ? v : null);

/** Which backup a verify step checks: the one of the same pair (pre/post), or the command's own. */
const BACKUP_PAIR: Record<string, string> = { 'backup-pre': 'pre', 'backup-post': 'post', backup: 'command' };
const VERIFY_PAIR: Record<string, string> = {
  'verify-pre': 'pre',
  'verify-post': 'post',
  'verify:light': 'command',
  'verify:deep': 'command',
};

/** The version a run left a tenant at: none (it did not change or say), a migration, or unknown. */
export function versionFromRun(
  runId: string,
  row: RunTenantRow | undefined,
  steps: readonly StepRow[],
  migrations: readonly MigrationLogRow[],
): Finding {
  const details = row?.details ?? null;
  // A rollback (restore or down) puts the tenant back where it was before this run; its step says where.
  const rollback = steps.findLast((s) => s.step === 'rollback' && s.status === 'succeeded');
  const restoredTo = rollback?.data?.current;
  if (rollback && (typeof restoredTo === 'string' || restoredTo === null))
    return { kind: 'known', version: { name: restoredTo, runId, source: 'rollback-step' } };
  if (details?.rolledBack === true || rollback) return { kind: 'none' };
  const migrate = steps.findLast(
    (s) => s.step === 'migrate' && s.status === 'succeeded' && s.data && 'current' in s.data,
  );
  const fromStep = migrate?.data?.current;
  if (migrate && (typeof fromStep === 'string' || fromStep === null))
    return { kind: 'known', version: { name: fromStep, runId, source: 'migrate-step' } };
  // migrate, rollback, status and plan results carry `current`; a failed tenant's is a placeholder.
  if (
    row?.status === 'succeeded' &&
    details &&
    (typeof details.current === 'string' || details.current === null)
  )
    return { kind: 'known', version: { name: details.current, runId, source: 'result' } };
  const net: string[] = [];
  let revertedOlder = false;
  for (const m of migrations) {
    if (m.direction === 'up') net.push(m.name);
    else if (net.includes(m.name)) net.splice(net.lastIndexOf(m.name), 1);
    else revertedOlder = true;
  }
  const last = net.at(-1);
  if (last !== undefined) return { kind: 'known', version: { name: last, runId, source: 'migration-log' } };
  return revertedOlder ? { kind: 'unknown' } : { kind: 'none' };
}

/**
 * The backups a run took for one tenant (oldest first), the verdicts it reached by backup path, and
 * the backup its result names when no step of the run took it (`checked`: what `dbfleet verify` saw).
 */
export function backupsFromRun(
  run: RunRow,
  row: RunTenantRow | undefined,
  steps: readonly StepRow[],
): { backups: TakenBackup[]; verdicts: Map<string, Verification>; checked: TakenBackup | null } {
  const backups: TakenBackup[] = [];
  const verdicts = new Map<string, Verification>();
  const lastOfPair = new Map<string, string>();
  const rawSummary = row?.details?.backup;
  const summary = isRecord(rawSummary) ? rawSummary : undefined;
  const summaryPath = optionalString(summary?.path);
  for (const s of steps) {
    const pair = BACKUP_PAIR[s.step];
    if (pair) {
      const path = optionalString(s.data?.path);
      if (s.status !== 'succeeded' || !path) continue;
      lastOfPair.set(pair, path);
      const at = s.finishedAt ?? s.startedAt;
      backups.push({
        path,
        bytes: optionalNumber(s.data?.bytes),
        sha256: optionalString(s.data?.sha256),
        takenAt: iso(at),
        runId: run.runId,
        step: s.step,
      });
      continue;
    }
    const verifies = VERIFY_PAIR[s.step];
    if (!verifies) continue;
    // `dbfleet verify` checks an existing backup: its result names the file.
    const path = lastOfPair.get(verifies) ?? (verifies === 'command' ? summaryPath : null);
    if (!path || s.status === 'skipped') continue;
    if (s.status === 'running') {
      if (run.status !== 'running')
        verdicts.set(path, { verified: false, at: s.startedAt, error: 'interrupted' });
      continue;
    }
    const level = s.data?.verified;
    const verified: VerifiedLevel =
      s.status !== 'succeeded'
        ? false
        : level === 'light' || level === 'deep'
          ? level
          : s.step === 'verify:deep'
            ? 'deep'
            : 'light';
    verdicts.set(path, { verified, at: s.finishedAt ?? s.startedAt, error: s.error?.message ?? null });
  }
  // `dbfleet verify` (or a command that journals no steps) names a backup this run did not take.
  let checked: TakenBackup | null = null;
  if (summary && summaryPath && !backups.some((b) => b.path === summaryPath)) {
    checked = {
      path: summaryPath,
      bytes: optionalNumber(summary.bytes),
      sha256: optionalString(summary.sha256),
      takenAt: null,
      runId: run.runId,
      step: null,
    };
    const level = summary.verified;
    if (!verdicts.has(summaryPath))
      verdicts.set(summaryPath, {
        verified: level === 'light' || level === 'deep' ? level : false,
        at: row?.finishedAt ?? run.startedAt,
        error: null,
      });
  }
  return { backups, verdicts, checked };
}
