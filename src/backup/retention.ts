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
}

export interface RetentionPlan {
  keep: string[];
  delete: string[];
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
 */
export function planRetention(items: readonly RetentionItem[], keep: number): RetentionPlan {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError('keep must be a whole number of at least 1');
  const sorted = [...items].sort(newestFirst);
  let verifiedSeen = 0;
  let cut = -1; // index of the oldest kept verified backup
  for (let i = 0; i < sorted.length && verifiedSeen < keep; i++) {
    if (sorted[i]?.verified) {
      verifiedSeen++;
      cut = i;
    }
  }
  if (cut < 0) return { keep: sorted.map((i) => i.id), delete: [] };
  return { keep: sorted.slice(0, cut + 1).map((i) => i.id), delete: sorted.slice(cut + 1).map((i) => i.id) };
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

/**
 * Applies the plan to a tenant's directory: the backup file first, then its manifest, so an interruption
 * leaves at worst a manifest whose file is gone (listed, unusable, deleted next time) — never an
 * unlisted file nobody cleans up. Entries whose manifest is unreadable are never touched.
 */
export async function applyRetention(
  dir: string,
  keep: number,
  options: RetentionOptions = {},
): Promise<{ kept: number; deleted: string[] }> {
  const { owner } = options;
  const entries = (await listBackups(dir)).filter(
    (e) => e.manifest && (!owner || otherOwner(e.manifest, owner) === undefined),
  );
  const items = await Promise.all(
    entries.map(async (e) => ({
      id: e.path,
      createdAt: e.manifest?.created_at ?? '',
      // A manifest whose file is gone (or is not the size it recorded) is no backup to count on.
      verified: isVerified(e.manifest) && (await fileAsRecorded(e.path, e.manifest?.bytes)),
      current: e.path === options.written,
    })),
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
  return { kept: plan.keep.length, deleted };
}

async function fileAsRecorded(path: string, bytes: number | undefined): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() === true && info.size === bytes;
}
