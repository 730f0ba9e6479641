import { UsageError } from '../core/errors.js';
import type { DialectName } from '../core/tenant.js';
import type { IndexState } from '../dialect/optimize-types.js';
import type { LoadedOptimization, OptimizationAction } from './types.js';

/** The last successful run of an optimization on a tenant, from its record table. */
export interface PreviousRun {
  name: string;
  kind: string;
  checksum: string;
  action: string;
}

/** `--only`: the named optimizations in directory order; an unknown name is a usage error, not a no-op. */
export function selectOptimizations(
  all: readonly LoadedOptimization[],
  only?: readonly string[],
): LoadedOptimization[] {
  if (!only?.length) return [...all];
  const wanted = new Set(only);
  const unknown = [...wanted].filter((name) => !all.some((o) => o.definition.name === name));
  if (unknown.length) {
    const known = all.map((o) => o.definition.name).join(', ') || 'none';
    throw new UsageError(`only (--only) ${unknown.join(', ')}: no such optimization (known: ${known})`);
  }
  return all.filter((o) => wanted.has(o.definition.name));
}

/** The optimizations that apply to a tenant of this dialect, in order. */
export function optimizationsFor(
  all: readonly LoadedOptimization[],
  dialect: DialectName,
): LoadedOptimization[] {
  return all.filter((o) => !o.definition.dialects || o.definition.dialects.includes(dialect));
}

export type IndexDecision = 'create' | 'skip' | 'heal' | 'rebuild' | 'conflict';

/**
 * What to do about one index, given what the database has and what this tenant's record says:
 * - missing → create; a valid index that already is the definition → skip;
 * - INVALID (an interrupted concurrent build) → heal: drop and build again — it serves no query and
 *   still slows every write;
 * - a different definition that dbfleet itself built from an earlier version of this optimization →
 *   rebuild; one that dbfleet did not build (a migration's, a DBA's), or that changed behind dbfleet's
 *   back while the definition stayed the same → conflict, reported and left alone.
 */
export function decideIndex(
  state: IndexState,
  previous: PreviousRun | undefined,
  checksum: string,
): IndexDecision {
  if (!state.exists) return 'create';
  if (!state.valid) return 'heal';
  if (state.matches) return 'skip';
  if (previous?.kind === 'index' && previous.checksum !== checksum) return 'rebuild';
  return 'conflict';
}

const INDEX_ACTIONS: Record<IndexDecision, [OptimizationAction, OptimizationAction]> = {
  create: ['created', 'would-create'],
  skip: ['skipped', 'skipped'],
  heal: ['healed', 'would-heal'],
  rebuild: ['rebuilt', 'would-rebuild'],
  conflict: ['conflict', 'conflict'],
};

export function indexAction(decision: IndexDecision, dryRun: boolean): OptimizationAction {
  return INDEX_ACTIONS[decision][dryRun ? 1 : 0];
}

/** A custom optimization marked `once` is skipped after it succeeded with this very definition. */
export function customAlreadyDone(
  once: boolean | undefined,
  previous: PreviousRun | undefined,
  checksum: string,
): boolean {
  return once === true && previous?.kind === 'custom' && previous.checksum === checksum;
}

export interface CleanupProgress {
  deleted: number;
  elapsedMs: number;
  batches: number;
}

export interface CleanupLimits {
  batchSize: number;
  maxRows?: number;
  maxDurationMs?: number;
}

/** Rows the next batch may take: never past `maxRows`, so the limit is exact. */
export function nextBatchLimit(limits: CleanupLimits, progress: CleanupProgress): number {
  const left = limits.maxRows === undefined ? Number.POSITIVE_INFINITY : limits.maxRows - progress.deleted;
  return Math.max(0, Math.min(limits.batchSize, left));
}

/**
 * Why the cleanup stops before reaching the end, if it does. At least one batch always runs, so even a
 * tiny time budget makes progress from run to run.
 */
export function cleanupStop(
  limits: CleanupLimits,
  progress: CleanupProgress,
): 'maxRows' | 'maxDurationMs' | undefined {
  if (limits.maxRows !== undefined && progress.deleted >= limits.maxRows) return 'maxRows';
  if (
    progress.batches > 0 &&
    limits.maxDurationMs !== undefined &&
    progress.elapsedMs >= limits.maxDurationMs
  ) {
    return 'maxDurationMs';
  }
  return undefined;
}

/** Exponential backoff with ±20 % jitter (so tenants on one server do not retry in lockstep), capped. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs = 10_000,
  random: () => number = Math.random,
): number {
  const raw = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/** Rows a dry run reports: what the next real run would delete, capped as it would be. */
export function wouldDelete(matching: number, maxRows?: number): number {
  return maxRows === undefined ? matching : Math.min(matching, maxRows);
}
