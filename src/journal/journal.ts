import type { Knex } from 'knex';
import type { FleetEvent } from '../core/events.js';
import { redact } from '../core/redact.js';
import { currentProcess } from '../util/process-alive.js';
import { isConnectionLoss, RETRY_DELAYS_MS } from './connection-loss.js';
import { markDeadRuns } from './dead-runs.js';
import { eventWrites, json, type Write } from './event-writes.js';
import { inFileTurn, journalFileOf } from './file-turns.js';
import { openJournalDatabase } from './open.js';
import { RUNS, TENANTS } from './schema.js';
import { type RunStatement, statementRunner } from './statements.js';

export { MAINTENANCE_CLOSE_STEP, MAINTENANCE_OPEN_STEP } from './event-writes.js';

/**
 * The durable journal: a fold of the event stream into tables, written in order as events happen.
 * Writes are queued (events are synchronous, the database is not) and drained in batches, each batch
 * one transaction: a fleet's burst of events costs one commit, not one per event. `flush()` waits for
 * the queue and is a checkpoint — the upgrade flushes after every step, so a `kill -9` loses at most
 * the step in flight.
 */
export class Journal {
  private pending: Write[] = [];
  private reads: (() => Promise<void>)[] = [];
  private draining?: Promise<void>;
  private failure: unknown;
  /**
   * The first batch the database refused since the last flush: dropped, and never tried again, so the
   * next flush() must say so even when later batches were stored (a new drain clears `failure`).
   */
  private refused: unknown;
  /** Batches the database refused since the journal was opened, and why the last one was (droppedSince). */
  private dropCount = 0;
  private lastDrop: unknown;
  private runId?: string;

  private readonly run: RunStatement;
  /** A PostgreSQL control database (not the local SQLite file): its connection can be cut mid-batch. */
  private readonly pooled: boolean;
  /** The SQLite file, whose writes take turns with other journals of this process on it (file-turns.ts). */
  private readonly file: string | undefined;

  private constructor(readonly knex: Knex) {
    this.run = statementRunner(knex);
    this.pooled = (knex.client as { config: { client?: unknown } }).config.client !== 'better-sqlite3';
    this.file = journalFileOf(knex);
  }

  /**
   * Opens the journal — a SQLite file's pages checked first: it is opened to record a run — and closes
   * the runs whose process was killed (see markDeadRuns).
   */
  static async open(target: string): Promise<Journal> {
    const knex = await openJournalDatabase(target, { checkPages: true });
    try {
      await inFileTurn(journalFileOf(knex), () => markDeadRuns(knex));
    } catch (err) {
      await knex.destroy().catch(() => {});
      throw err;
    }
    return new Journal(knex);
  }

  private enqueue(write: Write): void {
    this.pending.push(write);
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    // Suspend before anything: a drain with nothing to do (a write queued after a failure) would otherwise
    // finish — clearing `draining` — before its caller stored it there, leaving a settled promise that
    // flush() awaits in a loop forever.
    await undefined;
    // A new drain tries again: a journal a blip cut off must not fail every later write of a long-lived
    // process (a queue worker kept failing tenants after one control-database restart).
    this.failure = undefined;
    try {
      // Writes queued while a batch commits form the next batch; reads run between batches, after the
      // writes queued before them (a read sees what was journaled before it was asked for).
      while (this.pending.length > 0 || this.reads.length > 0) {
        const batch = this.pending.splice(0);
        if (batch.length > 0) {
          const failure = await this.commitBatch(batch);
          if (failure !== undefined) {
            this.failure = failure.err;
            // Lost with the connection, the batch is kept, in order, for the next drain; one the database
            // refused (it would fail again), or one cut off during its COMMIT, is dropped, and the flush
            // waiting for it says so.
            if (failure.retry) this.pending.unshift(...batch);
            else {
              this.refused ??= failure.err;
              this.dropCount++;
              this.lastDrop = failure.err;
            }
            break;
          }
        }
        for (const read of this.reads.splice(0)) await read();
      }
    } finally {
      const reads = this.reads.splice(0);
      this.draining = undefined;
      for (const read of reads) void read();
    }
  }

  /**
   * One batch, one transaction. On the SQLite file BEGIN/COMMIT are plain statements, like the writes
   * (statements.ts): knex.transaction() would do the same, but its per-transaction knex instance is garbage
   * that outlives young-generation GCs — with it, a 1000-tenant run peaked ~45 MiB higher. A batch cut off
   * with its connection rolled back with it: it is tried again on a new connection, a few times over a few
   * seconds (a failover, a restart).
   */
  private async commitBatch(batch: readonly Write[]): Promise<{ err: unknown; retry: boolean } | undefined> {
    for (let attempt = 0; ; attempt++) {
      let committing = false;
      try {
        if (this.pooled) {
          // A server journal goes through knex's transaction: its statements stay on the connection that
          // began it. As plain statements, those after a cut connection went out on a new one, outside the
          // transaction — half a batch stored, the rest lost or, tried again, stored twice.
          await this.knex.transaction(async (trx) => {
            const run = statementRunner(trx);
            for (const write of batch) await write(trx, run);
            committing = true;
          });
          return undefined;
        }
        await inFileTurn(this.file, async () => {
          try {
            await this.run('begin', []);
            for (const write of batch) await write(this.knex, this.run);
            committing = true;
            await this.run('commit', []);
          } catch (err) {
            await this.run('rollback', []).catch(() => {});
            throw err;
          }
        });
        return undefined;
      } catch (err) {
        // Cut off during its COMMIT, a batch may have been stored: writing it again could store it twice.
        const retry = isConnectionLoss(err) && !committing;
        if (!retry || attempt >= RETRY_DELAYS_MS.length) return { err, retry };
        await new Promise((done) => setTimeout(done, RETRY_DELAYS_MS[attempt]));
      }
    }
  }

  /**
   * Reads the journal between write batches, never inside one: its one connection is shared with the
   * drain, and a read slipped into an open batch would see it half-written, or fail and abort it.
   */
  read<T>(fn: (knex: Knex) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.reads.push(() => fn(this.knex).then(resolve, reject));
      this.draining ??= this.drain();
    });
  }

  /**
   * Waits until every write queued so far is stored; rejects if one could not be (the step must not be
   * taken as journaled). The writes a lost connection held back are tried again by the next write or flush.
   */
  async flush(): Promise<void> {
    let retried = false;
    for (;;) {
      while (this.draining) await this.draining;
      if (this.refused !== undefined) {
        const refused = this.refused;
        this.refused = undefined;
        throw refused;
      }
      if (this.failure === undefined) return;
      if (this.pending.length === 0 || retried) throw this.failure;
      retried = true;
      this.draining = this.drain();
    }
  }

  /** A mark for droppedSince: how many batches were dropped so far. A run takes one when it starts. */
  get dropMark(): number {
    return this.dropCount;
  }

  /**
   * Why a batch of writes was dropped since `mark` (dropMark), if one was: the journal is missing
   * records of that time, though later batches were stored. flush() says so to one caller only; a run
   * asks this to know whether its own record is whole — an open Journal a library caller keeps across
   * runs may have dropped a batch of an earlier one.
   */
  droppedSince(mark: number): unknown {
    return this.dropCount > mark ? this.lastDrop : undefined;
  }

  /**
   * Waits for the queued writes like flush(), but gives up on the ones that cannot be stored and returns
   * why instead of throwing: for a run that has already stopped over a failed write and said so, whose
   * last records (its end) are worth a try and no more. Closing then does not throw it again.
   */
  async settle(): Promise<unknown> {
    try {
      await this.flush();
      return undefined;
    } catch (err) {
      this.pending = [];
      this.failure = undefined;
      this.refused = undefined;
      return err;
    }
  }

  /** Records a run's options (redacted) and its tenants with their wave, before anything starts. */
  planRun(
    runId: string,
    command: string,
    options: unknown,
    tenants: readonly { id: string; host: string; wave?: number }[],
    resumed = false,
  ): void {
    this.runId = runId;
    const now = Date.now();
    // This process runs it now: the next one to open the journal can tell whether it is still going.
    const owner = JSON.stringify(currentProcess());
    this.enqueue(async (knex) => {
      if (resumed) {
        await knex(RUNS).where({ run_id: runId }).update({ status: 'running', finished_at: null, owner });
        return;
      }
      await knex(RUNS).insert({
        run_id: runId,
        command,
        status: 'running',
        started_at: now,
        options: json(options),
        owner,
      });
      for (let i = 0; i < tenants.length; i += 200) {
        const rows = tenants.slice(i, i + 200).map((t) => ({
          run_id: runId,
          tenant_id: t.id,
          host: redact(t.host),
          wave: t.wave ?? 0,
          status: 'queued',
        }));
        await knex(TENANTS).insert(rows);
      }
    });
  }

  /** A run that never started (a usage error after the journal was opened): closed as such, not left "running". */
  abandonRun(reason: string): void {
    const runId = this.runId;
    if (!runId) return;
    this.enqueue((k) =>
      k(RUNS)
        .where({ run_id: runId })
        .update({ status: 'not-started', finished_at: Date.now(), summary: json({ reason }) }),
    );
  }

  /** The journal as an event listener. Events before `planRun` (or without a run id) are ignored. */
  readonly onEvent = (event: FleetEvent): void => {
    if (this.runId) this.record(this.runId, event);
  };

  /**
   * A listener for the steps of run `runId` that another process planned and reports (a queue worker
   * running a coordinator's tenant): its step and migration events only, so an attempt a lost worker
   * left can be resumed after its last journaled step. The coordinator writes the tenant's result.
   */
  stepRecorder(runId: string): (event: FleetEvent) => void {
    return (event) => {
      if (event.type === 'step:start' || event.type === 'step:done' || event.type === 'migration:applied')
        this.record(runId, event);
    };
  }

  private record(runId: string, event: FleetEvent): void {
    for (const write of eventWrites(runId, event, Date.now())) this.enqueue(write);
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.knex.destroy();
    }
  }
}

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}
