import { rm, stat } from 'node:fs/promises';
import type { Tenant } from '../core/tenant.js';
import { otherOwner } from './identity.js';
import { isVerified, listBackups } from './manifest.js';

export interface RetentionItem {
  id: string;
  createdAt: string;
  verified: boolean;
  /**
   * The backup this run just wrote: the newest whatever its `createdAt` says (a runner whose clock was
   * ahead wrote an older one "later"), so always kept — it is why retention runs.
   */
  current?: boolean;
  /** The upgrade run this is the pre-upgrade backup of (the manifest's `upgrade`, stage `pre`). */
  preUpgradeOf?: string;
}

export interface RetentionPlan {
  keep: string[];
  delete: string[];
  /** Why each kept backup stays, by id: what retention's output says. */
  why: Record<string, string>;
  /** The pre-upgrade backup kept beyond n (it would have been deleted otherwise), and its run. */
  held?: { id: string; run: string };
}

/** The backup just written, then by `createdAt`, then by id (file names are timestamps), newest first. */
function newestFirst(a: RetentionItem, b: RetentionItem): number {
  if (Boolean(a.current) !== Boolean(b.current)) return a.current ? -1 : 1;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : -1;
}

/**
 * Which backups `--keep n` deletes. Pure. Newest first, the n newest *verified* backups are kept, and
 * so is everything newer than the oldest of them (an unverified newer backup may still be checked);
 * what is older goes. With no verified backup at all nothing is deleted: a tenant is never left
 * without its last good backup because newer ones turned out bad.
 *
 * One backup more is kept whatever n says: the tenant's newest pre-upgrade backup. It is what the
 * latest upgrade run restores if the tenant's pipeline fails (the nightly backup may run meanwhile) and
 * what `rollback --run` of that run restores later; deleting it left the tenant half-upgraded or the
 * rollback with nothing to restore. Only the newest: an older run's pre-upgrade backup ages out like
 * any other (rolling back an older run than the latest is rare, and keeping every run's forever would
 * make --keep meaningless), so at most one backup per tenant outlives its count.
 */
export function planRetention(items: readonly RetentionItem[], keep: number): RetentionPlan {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError('keep must be a whole number of at least 1');
  const sorted = [...items].sort(newestFirst);
  const why: Record<string, string> = {};
  let verifiedSeen = 0;
  let cut = -1; // index of the oldest kept verified backup
  for (let i = 0; i < sorted.length && verifiedSeen < keep; i++) {
    if (sorted[i]?.verified) {
      verifiedSeen++;
      cut = i;
    }
  }
  if (cut < 0) {
    for (const i of sorted) why[i.id] = 'no verified backup yet: nothing is deleted';
    return { keep: sorted.map((i) => i.id), delete: [], why };
  }
  for (const i of sorted.slice(0, cut + 1)) {
    why[i.id] = i.current
      ? 'the backup just written'
      : i.verified
        ? `one of the newest ${keep} verified`
        : 'not verified, newer than the oldest verified one kept';
  }
  const pinned = sorted.find((i) => i.preUpgradeOf !== undefined);
  const held = pinned?.preUpgradeOf !== undefined && !(pinned.id in why) ? pinned : undefined;
  if (held)
    why[held.id] =
      `the pre-upgrade backup of upgrade run ${held.preUpgradeOf}, the tenant's latest: its rollback restores it`;
  return {
    keep: sorted.filter((i) => i.id in why).map((i) => i.id),
    delete: sorted.filter((i) => !(i.id in why)).map((i) => i.id),
    why,
    ...(held?.preUpgradeOf !== undefined ? { held: { id: held.id, run: held.preUpgradeOf } } : {}),
  };
}

export interface RetentionOptions {
  /**
   * Whose backups these are: backups of another database in the folder (another environment's tenant
   * of the same id) are neither counted nor deleted. Unset: every readable manifest is this tenant's.
   */
  owner?: Pick<Tenant, 'id' | 'dialect' | 'database' | 'schema' | 'host'>;
  /** The backup this run just wrote (its path): always kept, see `RetentionItem.current`. */
  written?: string;
}

/** What retention did to a tenant's backups: the `retention` of its report (and journal step). */
export interface RetentionResult {
  kept: number;
  deleted: string[];
  /** Each backup kept, newest first, and why (see `planRetention`). */
  reasons: { path: string; why: string }[];
  /** The pre-upgrade backup kept beyond --keep for its run's rollback (see `planRetention`). */
  heldForRollback?: { path: string; run: string };
}

/**
 * Applies the plan to a tenant's directory: the backup file first, then its manifest, so an interruption
 * leaves at worst a manifest whose file is gone (listed, unusable, deleted next time) — never an
 * unlisted file nobody cleans up. Entries whose manifest is unreadable are never touched.
 */
export async function applyRetention(
  dir: string,
  keep: number,
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  const { owner } = options;
  const entries = (await listBackups(dir)).filter(
    (e) => e.manifest && (!owner || otherOwner(e.manifest, owner) === undefined),
  );
  const items = await Promise.all(
    entries.map(async (e): Promise<RetentionItem> => {
      const upgrade = e.manifest?.upgrade;
      return {
        id: e.path,
        createdAt: e.manifest?.created_at ?? '',
        // A manifest whose file is gone (or is not the size it recorded) is no backup to count on.
        verified: isVerified(e.manifest) && (await fileAsRecorded(e.path, e.manifest?.bytes)),
        current: e.path === options.written,
        ...(upgrade?.stage === 'pre' ? { preUpgradeOf: upgrade.run } : {}),
      };
    }),
  );
  const plan = planRetention(items, keep);
  const doomed = new Set(plan.delete);
  const deleted: string[] = [];
  for (const entry of entries) {
    if (!doomed.has(entry.path)) continue;
    await rm(entry.path, { force: true });
    await rm(entry.manifestPath, { force: true });
    deleted.push(entry.path);
  }
  return {
    kept: plan.keep.length,
    deleted,
    reasons: plan.keep.map((path) => ({ path, why: plan.why[path] ?? '' })),
    ...(plan.held ? { heldForRollback: { path: plan.held.id, run: plan.held.run } } : {}),
  };
}

async function fileAsRecorded(path: string, bytes: number | undefined): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() === true && info.size === bytes;
}
