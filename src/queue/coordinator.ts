import { randomBytes } from 'node:crypto';
import { type ErrorInfo, storedError } from '../core/errors.js';
import { openControl } from '../dialect/postgres/queue-control.js';
import { lockHolders } from '../dialect/postgres/queue-lock-holders.js';
import type { RemoteJob, RemoteRunner, TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import { createWaker } from '../util/waker.js';
import { openBoss, stopBoss } from './boss.js';
import {
  JOB_DONE_CHANNEL,
  JOBS_SENT_CHANNEL,
  jobLock,
  TENANT_QUEUE,
  type TenantJobData,
  type TenantJobOutput,
  tagLock,
  tagQueue,
} from './job.js';

/** How long the coordinator trusts its look at which tags have a live worker. */
const SERVED_TAGS_TTL_MS = 1_000;

/** A coordinator whose jobs nobody takes for this long fails them (`--worker-wait`). */
export const DEFAULT_WORKER_WAIT_MS = 30_000;
/** How often the coordinator reads its jobs' states and their workers' job locks. */
const POLL_MS = 500;
/**
 * A worker takes its job lock within milliseconds of taking the job; an active job whose lock has been
 * free for this long (since the job went active, or since its lock was last seen held) has lost its
 * worker. A killed worker is therefore noticed LOST_WORKER_GRACE_MS to LOST_WORKER_GRACE_MS + POLL_MS
 * after PostgreSQL dropped its control connection — never sooner: a worker that only lost that connection
 * stops its tenants and closes their sessions meanwhile, so the next worker does not find them held.
 */
export const LOST_WORKER_GRACE_MS = 3_000;

export interface CoordinatorOptions {
  /** The control database (postgres://…): pg-boss's queue and the job locks. */
  url: string;
  /** The command's own flags, carried in every job (plain values, never connection strings). */
  args?: TenantJobData['args'];
  /** Fail a tenant whose job no worker took for this long (default 30 s). */
  workerWaitMs?: number;
}

interface Pending {
  id: string;
  /** The queue the job went to: the common one, or a tag's. */
  queue: string;
  data: TenantJobData;
  ctx: TenantContext;
  empty: () => Record<string, unknown>;
  sentAt: number;
  /** When this attempt was first seen active (reset when pg-boss hands the job out again). */
  activeSince?: number;
  /** When this attempt's job lock was last seen held. */
  heldAt?: number;
  attempt: number;
  worker?: string;
  settle: (outcome: TaskOutcome) => void;
}

export type Coordinator = RemoteRunner & { close(): Promise<void> };

/**
 * The coordinator side of a queued run: each tenant's task becomes one pg-boss job, and its outcome is
 * the result the worker completed the job with. The run's scheduler, gates and report fold stay those
 * of a local run (see RemoteRunner).
 */
export async function openCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const boss = await openBoss(options.url, () => {});
  const control = await openControl(options.url, 'dbfleet-coordinator').catch(async (err) => {
    // pg-boss's timers and pool would keep the process alive after the error is reported.
    await stopBoss(boss);
    throw err;
  });
  const workerWaitMs = options.workerWaitMs ?? DEFAULT_WORKER_WAIT_MS;
  const fallbackRunId = `queued-${randomBytes(4).toString('hex')}`;
  const pending = new Map<string, Pending>();
  // Last time any job of this run was taken or finished: a queue that moves is not a queue without workers.
  let lastProgress = 0;
  let closed = false;
  // When a job first waited out the worker wait with nothing moving (reset by progress, see `finish`).
  let gaveUpAt: number | undefined;

  const finish = (p: Pending, outcome: TaskOutcome) => {
    pending.delete(p.id);
    if (outcome.error?.code !== 'NO_WORKER') lastProgress = Date.now();
    p.settle(outcome);
  };
  const failed = (p: Pending, error: ErrorInfo): TaskOutcome => ({
    status: 'failed',
    error,
    details: p.empty(),
  });

  /** `holders` undefined: only a finished job is settled (a worker said it finished it). */
  async function check(p: Pending, holders: Map<string, string> | undefined, now: number): Promise<void> {
    const job = await boss.getJobById<TenantJobData>(p.queue, p.id);
    if (!job)
      return finish(p, failed(p, { code: 'QUEUE_FAILED', message: 'the queue no longer has this job' }));
    const output = (job.output ?? {}) as TenantJobOutput & { value?: { message?: string } };
    if (!holders && !['completed', 'failed', 'cancelled'].includes(job.state)) return;
    switch (job.state) {
      case 'completed':
        if (!output.result)
          return finish(p, failed(p, { code: 'QUEUE_FAILED', message: 'the worker sent no result' }));
        return finish(p, {
          status: output.result.status,
          details: output.result.details ?? p.empty(),
          ...(output.result.error
            ? { error: storedError(output.result.error.code, output.result.error.message) }
            : {}),
        });
      case 'failed':
        return finish(
          p,
          failed(
            p,
            storedError(
              output.code ?? 'QUEUE_FAILED',
              output.message ?? output.value?.message ?? 'the job failed on its worker',
            ),
          ),
        );
      case 'cancelled':
        return finish(p, {
          status: 'skipped',
          error: { code: 'NOT_STARTED', message: 'not started: the run was interrupted' },
          details: p.empty(),
        });
      case 'active': {
        lastProgress = now;
        if (job.retryCount !== p.attempt) {
          p.attempt = job.retryCount;
          p.activeSince = undefined;
          p.heldAt = undefined;
        }
        p.activeSince ??= now;
        const holder = holders?.get(jobLock(p.data.runId, p.data.tenantId).join(':'));
        if (holder) {
          p.heldAt = now;
          if (holder !== p.worker) {
            p.worker = holder;
            p.ctx.emit({ type: 'notice', tenantId: p.data.tenantId, level: 'info', message: `on ${holder}` });
          }
        } else if (now - Math.max(p.activeSince, p.heldAt ?? 0) > LOST_WORKER_GRACE_MS) {
          // Its worker's control connection is gone (killed, machine lost): back to the queue, where
          // another worker resumes the tenant; its session lock kept the lost worker's work from overlapping.
          p.activeSince = undefined;
          p.heldAt = undefined;
          const message = `${p.worker ?? 'its worker'} was lost; the tenant goes back to the queue`;
          p.ctx.emit({ type: 'notice', tenantId: p.data.tenantId, level: 'warn', message });
          await boss.fail(p.queue, p.id, { code: 'WORKER_LOST', message });
        }
        return;
      }
      default: {
        if (p.ctx.signal.aborted) return void (await boss.cancel(p.queue, p.id));
        const waited = now - Math.max(p.sentAt, lastProgress) > workerWaitMs;
        // Once the run concluded nobody is there, later tenants need not wait the whole time again.
        if (waited || (gaveUpAt !== undefined && lastProgress < gaveUpAt)) {
          gaveUpAt ??= now;
          await boss.cancel(p.queue, p.id);
          return finish(
            p,
            failed(p, {
              code: 'NO_WORKER',
              message: `no worker took this tenant within ${Math.round(workerWaitMs / 1000)}s: is a dbfleet worker running on this queue?`,
            }),
          );
        }
      }
    }
  }

  // Which tags have a live worker (`worker --tag`): each holds a shared lock per tag while it runs.
  let served: { at: number; keys: Promise<Set<string>> } | undefined;
  const servedTags = (): Promise<Set<string>> => {
    if (!served || Date.now() - served.at > SERVED_TAGS_TTL_MS) {
      const keys = lockHolders(control, [tagLock('')]).then((held) => new Set(held.keys()));
      served = { at: Date.now(), keys };
      keys.catch(() => (served = undefined));
    }
    return served.keys;
  };
  /**
   * A tenant goes to the queue of its first tag a live worker serves, so a region's tenants run on that
   * region's workers; a tenant none of whose tags is served goes to the common queue.
   */
  async function queueOf(tags: readonly string[] | undefined): Promise<string> {
    if (!tags?.length) return TENANT_QUEUE;
    const keys = await servedTags();
    const tag = tags.find((t) => keys.has(tagLock(t).join(':')));
    return tag === undefined ? TENANT_QUEUE : tagQueue(tag);
  }

  // A worker that finished a job says so: the round runs at once instead of at the next poll.
  const waker = createWaker();
  const reported = new Set<string>();
  await control
    .listen(JOB_DONE_CHANNEL, (id) => {
      if (!pending.has(id)) return;
      reported.add(id);
      waker.wake();
    })
    .catch(async (err) => {
      await control.close();
      await stopBoss(boss);
      throw err;
    });

  // Every POLL_MS a full round over the pending jobs (their workers' liveness, the worker wait); in
  // between, only the jobs workers reported finished, as they report them.
  const loop = (async () => {
    let lastRound = 0;
    while (!closed) {
      const since = waker.generation;
      const now = Date.now();
      try {
        if (now - lastRound >= POLL_MS) {
          lastRound = now;
          reported.clear();
          const all = [...pending.values()];
          if (all.length > 0) {
            const holders = await lockHolders(
              control,
              all.map((p) => jobLock(p.data.runId, p.data.tenantId)),
            );
            for (const p of all) await check(p, holders, now);
          }
        } else {
          const ids = [...reported];
          reported.clear();
          for (const id of ids) {
            const p = pending.get(id);
            if (p) await check(p, undefined, now);
          }
        }
      } catch {
        // the control database hiccuped: the next round reads the jobs again
      }
      await waker.sleep(Math.max(0, lastRound + POLL_MS - Date.now()), since);
    }
  })();

  return {
    async run(ctx: TenantContext, job: RemoteJob): Promise<TaskOutcome> {
      const data: TenantJobData = {
        runId: job.runId ?? fallbackRunId,
        command: job.command,
        tenantId: ctx.tenant.id,
        perHost: job.perHost,
        args: { ...options.args, ...job.args },
      };
      const queue = await queueOf(ctx.tenant.tags);
      const id = await boss.send(queue, data);
      if (!id) throw new Error(`the queue refused the job of tenant ${ctx.tenant.id}`);
      // Idle workers fetch at once; a lost notification only costs a poll.
      control.notify(JOBS_SENT_CHANNEL, queue).catch(() => {});
      return new Promise<TaskOutcome>((settle) => {
        pending.set(id, {
          id,
          queue,
          data,
          ctx,
          empty: job.emptyDetails,
          sentAt: Date.now(),
          attempt: 0,
          settle,
        });
      });
    },
    async close() {
      closed = true;
      waker.wake();
      try {
        await loop;
        await control.close();
      } finally {
        await stopBoss(boss);
      }
    },
  };
}
