/** The pg-boss queue every run's tenant jobs go through; a job names its run, so runs can share it. */
export const TENANT_QUEUE = 'dbfleet-tenant';

/**
 * The queue of the tenants with tag `tag`, taken only by workers started with `--tag <tag>` (a runner
 * per region). Named by a hash: a tag may hold characters a queue name may not.
 */
export function tagQueue(tag: string): string {
  return `${TENANT_QUEUE}-tag-${lockKey(tag).toString(16)}`;
}

const TAG_LOCK_SPACE = 'dbfleet-tag';

/**
 * The shared advisory lock a worker holds on its control connection for each of its tags, as long as
 * it runs: the coordinator reads them to know which tags have a live worker (`servedTags` in
 * coordinator.ts, which asks for every holder of the tag locks' first key).
 */
export function tagLock(tag: string): [number, number] {
  return [lockKey(TAG_LOCK_SPACE), lockKey(tag)];
}

/**
 * Notification channels on the control database that cut the polling short: a coordinator sent jobs
 * (workers fetch at once), a worker finished one (its coordinator reads the result at once). Polling
 * stays the fallback; a payload is a queue name or a job id, never anything secret.
 */
export const JOBS_SENT_CHANNEL = 'dbfleet_jobs_sent';
export const JOB_DONE_CHANNEL = 'dbfleet_job_done';

/** pg-boss's own tables live in this schema of the control database. */
export const QUEUE_SCHEMA = 'pgboss';

/**
 * A tenant job: which run, which command, which tenant, and the run's flags that change what the
 * command does. Never a connection string: the worker finds the tenant in its own inventory.
 */
export interface TenantJobData {
  runId: string;
  command: string;
  tenantId: string;
  /** The run's per-host cap (the coordinator's `--per-host`), obeyed by all workers together. */
  perHost: number;
  /** The command's own flags (`migrate --to`, `--dry-run`, …): plain values only. */
  args: Record<string, string | number | boolean>;
}

/** What a worker completes a job with (or fails it with: then `result` is missing). */
export interface TenantJobOutput {
  worker: string;
  result?: {
    status: 'succeeded' | 'failed' | 'skipped';
    error?: { code: string; message: string };
    details: Record<string, unknown>;
  };
  code?: string;
  message?: string;
}

export function parseJobData(data: unknown): TenantJobData | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Partial<TenantJobData>;
  const ok =
    typeof d.runId === 'string' &&
    typeof d.command === 'string' &&
    typeof d.tenantId === 'string' &&
    typeof d.perHost === 'number' &&
    d.perHost >= 1 &&
    typeof d.args === 'object' &&
    d.args !== null;
  return ok ? (d as TenantJobData) : undefined;
}

/**
 * A stable non-negative int4 of a string (FNV-1a), for the two-key advisory locks: non-negative so the
 * key reads back the same from pg_locks' unsigned `classid`/`objid`.
 */
export function lockKey(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash & 0x7fffffff;
}

/** The advisory lock a worker holds on its control connection while it runs a job's tenant. */
export function jobLock(runId: string, tenantId: string): [number, number] {
  return [lockKey(`dbfleet-job:${runId}`), lockKey(tenantId)];
}

/** Slot `slot` of a host's per-host semaphore; the key prefixes keep it apart from job locks. */
export function hostSlotLock(host: string, slot: number): [number, number] {
  return [lockKey(`dbfleet-host:${host}`), slot];
}
