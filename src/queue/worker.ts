import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import { type ErrorCode, type ErrorInfo, errorMessage, TenantError } from '../core/errors.js';
import { redactDeep } from '../core/redact.js';
import { serverKey } from '../core/server-key.js';
import { lockAny, openControl } from '../dialect/postgres/queue-control.js';
import { fanOutOf } from '../fleet/options.js';
import { createFleetRun } from '../fleet/run-fleet.js';
import { StopAtOnce } from '../fleet/stop-at-once.js';
import { Journal } from '../journal/journal.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { createWaker } from '../util/waker.js';
import { ensureQueue, openBoss, stopBoss } from './boss.js';
import { watchControl } from './control-watch.js';
import {
  hostSlotLock,
  JOB_DONE_CHANNEL,
  JOBS_SENT_CHANNEL,
  jobLock,
  parseJobData,
  TENANT_QUEUE,
  type TenantJobOutput,
  tagLock,
  tagQueue,
} from './job.js';
import { controlSecondConnections } from './second-connections.js';
import { taskFor, type WorkerTask, type WorkerTaskOptions } from './tasks.js';

/** An idle worker asks the queue for a job this often. */
const POLL_MS = 500;
/** A worker waiting for a free host slot (held by other workers) tries again this often. */
const SLOT_RETRY_MS = 100;
/**
 * A worker that lost its control connection waits this long for its tenants to stop (their sessions are
 * closed, their tools killed) before it ends anyway: its caller exits, and the process's exit closes
 * whatever is left.
 */
const STOP_WAIT_MS = 10_000;

/**
 * Why `runWorker` rejected: its control connection (its job locks) is gone, so its coordinators are
 * handing its tenants to other workers. It stopped them at once, unfinished, for those to resume.
 */
export class ControlConnectionLost extends Error {
  override name = 'ControlConnectionLost';
  /** The code a library caller branches on, as on any dbfleet error (see ERROR_CODES). */
  readonly code = 'CONNECTION_LOST' satisfies ErrorCode;
}

export interface WorkerOptions extends WorkerTaskOptions {
  /** The control database (postgres://…) the coordinators enqueue on. */
  url: string;
  /** Shown to coordinators as the tenant's runner (default `dbfleet-worker <host>:<pid>`). */
  name?: string;
  /**
   * Take only the jobs of tenants with one of these tags (`--tag`; a worker per region): they come
   * through the tags' own queues, which coordinators use while such a worker is alive.
   */
  tags?: readonly string[];
  /** One line per tenant job this worker finished, refused or handed back. */
  onLine?: (line: WorkerLine) => void;
}

export interface WorkerLine {
  worker: string;
  runId?: string;
  command?: string;
  tenantId?: string;
  status: 'succeeded' | 'failed' | 'skipped' | 'refused' | 'handed back';
  durationMs: number;
  error?: Pick<ErrorInfo, 'code' | 'message'>;
}

/**
 * A queue worker: takes tenant jobs, finds each tenant in its own inventory, and runs the command's
 * task under three caps: its own `concurrency` (jobs it takes at once), its own `perHost`, and the
 * run's per-host cap across all workers (slot locks on the control database). Resolves once `signal`
 * aborted and its in-flight tenants are done: it takes no new job and lets the running ones finish.
 * Rejects with ControlConnectionLost when its control connection is gone: see `watchControl` below.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const name = options.name ?? `dbfleet-worker ${hostname()}:${process.pid}`;
  const boss = await openBoss(options.url, () => {});
  const control = await openControl(options.url, name.slice(0, 63)).catch(async (err) => {
    // pg-boss's timers and pool would keep the process alive after the error is reported.
    await stopBoss(boss);
    throw err;
  });
  const tags = [...new Set(options.tags ?? [])];
  const queues = tags.length ? tags.map(tagQueue) : [TENANT_QUEUE];
  // A coordinator that sent jobs to one of this worker's queues wakes its idle loops.
  const waker = createWaker();
  try {
    await control.listen(JOBS_SENT_CHANNEL, (queue) => {
      if (queues.includes(queue)) waker.wake();
    });
    // The queues first, then the locks that tell coordinators to use them.
    for (const queue of queues) await ensureQueue(boss, queue);
    for (const tag of tags) await control.holdShared(tagLock(tag));
  } catch (err) {
    await control.close();
    await stopBoss(boss);
    throw err;
  }
  // In-flight tenants finish their step on a stop signal instead of being cut short, so the signal is
  // not handed to their tasks; only a lost control connection aborts them (`lost`).
  const { signal: _stop, onEvent: _events, journal: _journal, remote: _remote, ...local } = options;
  const lost = new AbortController();
  const stop = options.signal ? AbortSignal.any([options.signal, lost.signal]) : lost.signal;
  const fleet = createFleetRun({
    command: 'worker',
    tenants: options.tenants,
    ...fanOutOf(local),
    signal: lost.signal,
    secondConnections: controlSecondConnections(control),
  });
  // The job locks lived on the control connection: coordinators see this worker's tenants without
  // their lock and hand them to other workers within seconds. Going on would run a tenant twice at
  // once, and a later step failing on the dead connection would roll back the other worker's upgrade.
  // So its tenants stop now, like a kill: signal aborted (tools killed, no new tenant), sessions closed
  // (their session locks go with them, for the next worker to take), their unfinished step left
  // unfinished in the journal, their jobs not touched again — nor is any other job taken.
  const unwatch = watchControl(control, (reason) => {
    lost.abort(new StopAtOnce(`${name} lost its control connection (${reason})`));
    waker.wake();
    void fleet.closeSessions();
  });
  const byId = new Map(options.tenants.map((t) => [t.id, t]));
  const tasks = new Map<string, Promise<WorkerTask>>();
  const line = (l: Omit<WorkerLine, 'worker'>) => options.onLine?.({ worker: name, ...l });
  // Opened on the first upgrade job: upgrade runs are journaled on the control database, where every
  // worker checkpoints its tenants' steps and the coordinator their results.
  let journal: Promise<Journal> | undefined;
  const runJournal = () => {
    journal ??= Journal.open(options.url);
    return journal;
  };

  const fail = async (job: PgBoss.Job<unknown>, code: string, message: string) => {
    // Once lost, its coordinator hands the job out again: a late fail could hit the next attempt.
    if (lost.signal.aborted) return;
    await boss.fail(job.name, job.id, { worker: name, code, message } satisfies TenantJobOutput);
    control.notify(JOB_DONE_CHANNEL, job.id).catch(() => {});
  };

  async function handle(job: PgBoss.Job<unknown>): Promise<void> {
    const t0 = Date.now();
    const data = parseJobData(job.data);
    if (!data) {
      await fail(job, 'FAILED', 'not a dbfleet tenant job');
      return line({
        status: 'refused',
        durationMs: 0,
        error: { code: 'FAILED', message: 'not a dbfleet job' },
      });
    }
    const about = { runId: data.runId, command: data.command, tenantId: data.tenantId };
    // The coordinator reads this lock to know the job's worker is alive (and which one it is). A
    // worker the coordinator gave up on may still hold it: this attempt waits for it to let go.
    const key = jobLock(data.runId, data.tenantId);
    await lockAny(control, [key], SLOT_RETRY_MS);
    try {
      const tenant = byId.get(data.tenantId);
      if (!tenant) {
        const message = `tenant "${data.tenantId}" is not in the inventory of ${name}`;
        await fail(job, 'UNKNOWN_TENANT', message);
        return line({
          ...about,
          status: 'refused',
          durationMs: 0,
          error: { code: 'UNKNOWN_TENANT', message },
        });
      }
      const taskKey = JSON.stringify([data.runId, data.command, data.args]);
      if (!tasks.has(taskKey)) tasks.set(taskKey, taskFor(data, options, runJournal));
      let task: WorkerTask;
      try {
        task = await (tasks.get(taskKey) as Promise<WorkerTask>);
      } catch (err) {
        // A worker whose migrations differ from the coordinator's refuses with its own code.
        const code = err instanceof TenantError ? err.code : 'FAILED';
        await fail(job, code, errorMessage(err));
        return line({
          ...about,
          status: 'refused',
          durationMs: 0,
          error: { code, message: errorMessage(err) },
        });
      }
      // Tried from a random slot: from slot 0 every tenant would first knock at the slots all busy
      // tenants hold, a round trip each.
      const first = Math.floor(Math.random() * data.perHost);
      const slots = Array.from({ length: data.perHost }, (_, i) =>
        hostSlotLock(serverKey(tenant.host), (first + i) % data.perHost),
      );
      let slot: readonly [number, number];
      try {
        slot = await lockAny(control, slots, SLOT_RETRY_MS, stop);
      } catch {
        // Stopped before the tenant started: back to the queue for another worker.
        await fail(job, 'INTERRUPTED', `${name} stopped before the tenant started`);
        return line({ ...about, status: 'handed back', durationMs: Date.now() - t0 });
      }
      let result: Awaited<ReturnType<typeof fleet.batch>>[number] | undefined;
      try {
        [result] = await fleet.batch([tenant], task);
      } finally {
        await control.unlock(slot).catch(() => {});
      }
      if (!result) throw new Error('the tenant produced no result');
      // Stopped at once: the job is its coordinator's to hand out again, not this worker's to complete.
      if (lost.signal.aborted) return line({ ...about, status: 'handed back', durationMs: Date.now() - t0 });
      const { status, error, details } = redactDeep(result);
      const output: TenantJobOutput = {
        worker: name,
        result: {
          status,
          details,
          ...(error ? { error: { code: error.code, message: error.message } } : {}),
        },
      };
      // Completed before the job lock goes: a coordinator never sees an active job without its lock.
      await boss.complete(job.name, job.id, output);
      control.notify(JOB_DONE_CHANNEL, job.id).catch(() => {});
      line({ ...about, status, durationMs: result.durationMs, ...(error ? { error } : {}) });
    } finally {
      await control.unlock(key).catch(() => {});
    }
  }

  const concurrency = fanOutOf(local).concurrency;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stop.aborted) {
      const since = waker.generation;
      let job: PgBoss.Job<unknown> | undefined;
      try {
        for (const queue of queues) {
          [job] = await boss.fetch<unknown>(queue, { batchSize: 1 });
          if (job) break;
        }
      } catch (err) {
        if (lost.signal.aborted) break;
        // A fetch PostgreSQL rolled back (a deadlock with another worker's fetch or the coordinator's
        // fail of the same job) took nothing: the worker stays up and asks again.
        line({
          status: 'failed',
          durationMs: 0,
          error: { code: 'QUEUE_FAILED', message: `fetch: ${errorMessage(err)}` },
        });
        await abortableSleep(POLL_MS, stop);
        continue;
      }
      if (!job) {
        await waker.sleep(POLL_MS, since, stop);
        continue;
      }
      // A job fetched as the connection went: untouched, its coordinator hands it out again.
      if (lost.signal.aborted) break;
      await handle(job).catch((err) => {
        if (!lost.signal.aborted)
          line({ status: 'failed', durationMs: 0, error: { code: 'FAILED', message: errorMessage(err) } });
      });
    }
  });
  try {
    const done = Promise.all(loops);
    // Lost: the tenants stop within moments (sessions closed); the wait is bounded all the same.
    await Promise.race([
      done,
      new Promise<void>((resolve) =>
        lost.signal.addEventListener('abort', () => setTimeout(resolve, STOP_WAIT_MS).unref(), {
          once: true,
        }),
      ),
    ]);
  } finally {
    unwatch();
    await control.close().catch(() => {});
    await journal?.then((j) => j.close()).catch(() => {});
    await stopBoss(boss);
  }
  if (lost.signal.aborted) throw new ControlConnectionLost((lost.signal.reason as Error).message);
}
