import { basename } from 'node:path';
import { TenantError } from '../core/errors.js';
import type { TenantContext } from '../fleet/run-fleet.js';
import type { UpgradeRollback } from '../journal/rollbacks.js';
import { utcStamp } from '../util/utc-stamp.js';
import { tenantDir } from './files.js';
import { otherOwner } from './identity.js';
import { type BackupEntry, entryForPath, isVerified, listBackups } from './manifest.js';

/** `--backup latest` (default) or `--backup <path>` (a backup file or its manifest). */
export type BackupSelector = 'latest' | (string & {});

/**
 * Finds the backup to verify or restore. `latest` is the newest backup with a readable manifest — for
 * restore, the newest one that passed verification (a newer unverified backup is not a restore point).
 *
 * A backup newer than that one whose manifest cannot be read is MANIFEST_INVALID: silently taking an
 * older backup verified the wrong file and restored older data than the operator expected. Naming a
 * backup with `--backup <path>` is how to use an older one on purpose.
 *
 * `rolledBack` (restore): the upgrade runs rolled back for this tenant since, by run id. Their
 * post-upgrade backups hold the very state the rollback undid: `latest` passes them over — restoring one
 * silently re-applied the upgrade — and `skipped` says which; `--backup <path>` still restores one.
 */
export async function selectBackup(
  ctx: TenantContext,
  backupDir: string,
  selector: BackupSelector,
  options: { verifiedOnly: boolean; rolledBack?: ReadonlyMap<string, UpgradeRollback> },
): Promise<SelectedBackup> {
  if (selector !== 'latest') return entryForPath(selector);
  const dir = tenantDir(backupDir, ctx.tenant.id);
  const all = await listBackups(dir);
  // Another environment's tenant of the same id may share the folder: only this database's backups.
  const owned = all.filter((e) => e.manifest && otherOwner(e.manifest, ctx.tenant) === undefined);
  const undone = (e: BackupEntry) => undoneBy(e, owned, options.rolledBack);
  const entries = owned.filter((e) => !undone(e));
  const pick = options.verifiedOnly ? entries.find((e) => isVerified(e.manifest)) : entries[0];
  // The ones newer than the pick (all, without one): older ones would not have been taken anyway.
  const skipped = owned.slice(0, pick ? owned.indexOf(pick) : owned.length).flatMap((e) => {
    const rollback = undone(e);
    return rollback ? [{ path: e.path, rollback, post: e.manifest?.upgrade?.stage === 'post' }] : [];
  });
  // File names are timestamps: a damaged manifest has no created_at to sort by, its name still dates it.
  const damaged = all
    .filter((e) => !e.manifest && (!pick || basename(e.path) > basename(pick.path)))
    .sort((a, b) => (basename(a.path) < basename(b.path) ? 1 : -1))[0];
  if (damaged) {
    throw new TenantError(
      'MANIFEST_INVALID',
      `the backup ${damaged.path} of ${ctx.tenant.id} cannot be used: ${damaged.manifestPath}: ${damaged.problem ?? 'unreadable'}; it is newer than ${pick ? pick.path : 'any other backup'}, so it is not skipped (repair or remove it, or name a backup with --backup)`,
    );
  }
  if (!pick) {
    const what = options.verifiedOnly && entries.length ? 'no verified backup' : 'no backup';
    const besides = skipped.length ? ` besides ${skipped.map(describeSkipped).join('; ')}` : '';
    throw new TenantError('NO_BACKUP', `${what} of ${ctx.tenant.id} in ${dir}${besides}`);
  }
  const taken = skipped.length ? { ...pick, skipped } : pick;
  if (options.verifiedOnly && pick !== entries[0] && entries[0]) {
    const newest = entries[0];
    const why =
      newest.manifest?.verification?.ok === false
        ? `its ${newest.manifest.verification.level} verification failed`
        : 'it is not verified';
    ctx.emit({
      type: 'notice',
      tenantId: ctx.tenant.id,
      level: 'warn',
      message: `the newest backup ${newest.path} is not used (${why}); using ${pick.path}`,
    });
    // In the report too (--json has no notices): older data than the newest backup is being restored.
    return { ...taken, passedOver: { path: newest.path, why } };
  }
  return taken;
}

/** The backup `selectBackup` chose, and what it passed over on the way. */
export type SelectedBackup = BackupEntry & { passedOver?: PassedOver; skipped?: SkippedBackup[] };

/** A backup holding an upgrade rolled back since, which `latest` did not take. */
export interface SkippedBackup {
  path: string;
  rollback: UpgradeRollback;
  /** The run's own post-upgrade backup; otherwise one taken while the run's upgrade was in place. */
  post: boolean;
}

/**
 * The rollback that undid what this backup holds, if any: the upgrade run it is the post-upgrade backup
 * of, or one whose upgrade was in place when it was taken — after that run's pre-upgrade backup, before the
 * tenant's rollback (a plain `dbfleet backup` in between holds the upgraded state just as well).
 */
function undoneBy(
  entry: BackupEntry,
  owned: readonly BackupEntry[],
  rolledBack: ReadonlyMap<string, UpgradeRollback> | undefined,
): UpgradeRollback | undefined {
  if (!rolledBack?.size || !entry.manifest) return undefined;
  const upgrade = entry.manifest.upgrade;
  if (upgrade?.stage === 'post') {
    const own = rolledBack.get(upgrade.run);
    if (own) return own;
  }
  const takenAt = Date.parse(entry.manifest.created_at);
  for (const rollback of rolledBack.values()) {
    const pre = owned.find(
      (e) => e.manifest?.upgrade?.run === rollback.upgradeRun && e.manifest.upgrade.stage === 'pre',
    );
    if (!pre?.manifest || pre === entry) continue;
    if (takenAt > Date.parse(pre.manifest.created_at) && takenAt < rollback.at) return rollback;
  }
  return undefined;
}

/** "the post-upgrade backup of run R (rolled back on … by rollback run B, with restore): <path>" */
export function describeSkipped({ path, rollback: r, post }: SkippedBackup): string {
  const by =
    r.rollbackRun === r.upgradeRun
      ? 'by the run itself after the tenant failed'
      : `by rollback run ${r.rollbackRun}, with ${r.with}`;
  const what = post
    ? `the post-upgrade backup of run ${r.upgradeRun}`
    : `a backup taken while run ${r.upgradeRun}'s upgrade was in place`;
  return `${what} (rolled back on ${utcStamp(r.at)} ${by}): ${path}`;
}

/** The newest backup `latest` did not take for a restore, and why: the report says so. */
export interface PassedOver {
  path: string;
  why: string;
}
