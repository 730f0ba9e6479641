import type { RunRow, RunTenantRow, StepRow } from '../journal/read.js';
import { groupBy } from '../util/group-by.js';
import {
  backupsFromRun,
  iso,
  type MigrationLogRow,
  type TakenBackup,
  type Verification,
  versionFromRun,
} from './findings.js';
import type { BackupInfo, TenantVersion } from './types.js';

export type { MigrationLogRow };

/** One run's journal rows, as the report reads them. */
export interface RunSlice {
  run: RunRow;
  tenants: readonly RunTenantRow[];
  steps: readonly StepRow[];
  migrations: readonly MigrationLogRow[];
}

interface TenantState {
  version?: TenantVersion | null;
  backup?: BackupInfo | null;
  /** The newest backup a verify run checked, for when no journaled run took one. */
  checked?: BackupInfo;
  verifiedByPath: Map<string, Verification>;
}

/**
 * Folds runs, NEWEST FIRST, into each tenant's current version and newest backup. A tenant is resolved
 * by the first (newest) run that says something; verdicts of later runs (seen earlier) win over older
 * ones, so a backup re-verified by `dbfleet verify` shows that newer verdict. A backup only known from
 * a verify run (taken before the journal saw any) is the fallback when no journaled run took one.
 * Pure: no I/O.
 */
export class TenantHistory {
  private readonly state = new Map<string, TenantState>();
  private pending: number;

  constructor(tenantIds: Iterable<string>) {
    for (const id of tenantIds) this.state.set(id, { verifiedByPath: new Map() });
    this.pending = this.state.size;
  }

  /** Every tenant's version and backup is settled: older runs cannot change them. */
  get done(): boolean {
    return this.pending === 0;
  }

  addRun(slice: RunSlice): void {
    const rows = new Map(slice.tenants.map((t) => [t.tenantId, t]));
    const steps = groupBy(slice.steps, (s) => s.tenantId);
    const migrations = groupBy(slice.migrations, (m) => m.tenantId);
    for (const id of new Set([...rows.keys(), ...steps.keys(), ...migrations.keys()])) {
      const st = this.state.get(id);
      if (!st || (st.version !== undefined && st.backup !== undefined)) continue;
      const row = rows.get(id);
      const tenantSteps = steps.get(id) ?? [];
      if (st.version === undefined) {
        const found = versionFromRun(slice.run.runId, row, tenantSteps, migrations.get(id) ?? []);
        if (found.kind !== 'none') st.version = found.kind === 'known' ? found.version : null;
      }
      if (st.backup === undefined) {
        const { backups, verdicts, checked } = backupsFromRun(slice.run, row, tenantSteps);
        for (const [path, v] of verdicts) if (!st.verifiedByPath.has(path)) st.verifiedByPath.set(path, v);
        if (checked && !st.checked) st.checked = withVerdict(checked, st.verifiedByPath);
        const newest = backups.at(-1);
        if (newest) {
          st.backup = withVerdict(newest, st.verifiedByPath);
          st.verifiedByPath.clear();
        }
      }
      if (st.version !== undefined && st.backup !== undefined) this.pending--;
    }
  }

  version(id: string): TenantVersion | null {
    return this.state.get(id)?.version ?? null;
  }

  backup(id: string): BackupInfo | null {
    const st = this.state.get(id);
    return st?.backup ?? st?.checked ?? null;
  }
}

function withVerdict(backup: TakenBackup, verdicts: ReadonlyMap<string, Verification>): BackupInfo {
  const v = verdicts.get(backup.path);
  return {
    ...backup,
    verified: v?.verified ?? false,
    verifiedAt: v?.at != null ? iso(v.at) : null,
    verifyError: v?.error ?? null,
  };
}
