import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createScheduler, type Job } from '../../src/fleet/scheduler.js';
import { waitUntil } from '../helpers/wait.js';

type Outcome = { id: string; ran: boolean; reason?: string };

/** Counts jobs in flight, globally and per host, and remembers the peaks. */
function meter() {
  let global = 0;
  let peakGlobal = 0;
  const perHost = new Map<string, number>();
  const peakPerHost = new Map<string, number>();
  const started: string[] = [];
  return {
    started,
    get peakGlobal() {
      return peakGlobal;
    },
    peakPerHost,
    job(id: string, host: string, work: () => Promise<void>): Job<Outcome> {
      return {
        host,
        run: async () => {
          started.push(id);
          global++;
          peakGlobal = Math.max(peakGlobal, global);
          const h = (perHost.get(host) ?? 0) + 1;
          perHost.set(host, h);
          peakPerHost.set(host, Math.max(peakPerHost.get(host) ?? 0, h));
          try {
            await work();
          } finally {
            global--;
            perHost.set(host, perHost.get(host)! - 1);
          }
          return { id, ran: true };
        },
        notStarted: (reason) => ({ id, ran: false, reason }),
      };
    },
  };
}

/** Resolves with the promise's value, or 'timeout' after `ms` (the timer does not keep the process alive). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('scheduler', () => {
  it('never exceeds the global cap nor the per-host cap, and runs every job', async () => {
    const m = meter();
    const schedule = createScheduler({ concurrency: 5, perHost: 2 });
    const hosts = ['h1', 'h2', 'h3', 'h4'];
    const jobs = Array.from({ length: 80 }, (_, i) =>
      schedule(m.job(`j${i}`, hosts[i % 3 === 0 ? 0 : i % hosts.length]!, () => sleep(1 + ((i * 7) % 5)))),
    );
    const results = await Promise.all(jobs);
    assert.equal(results.filter((r) => r.ran).length, 80);
    assert.equal(m.peakGlobal, 5, 'the global cap is reached (the meter works) and never exceeded');
    for (const host of hosts)
      assert.ok(m.peakPerHost.get(host)! <= 2, `${host}: ${m.peakPerHost.get(host)} in flight`);
    assert.equal(m.peakPerHost.get('h1'), 2, 'a host with many jobs reaches its cap');
  });

  it('localhost, 127.0.0.1 and ::1 on one port are one server under the per-host cap', async () => {
    const schedule = createScheduler({ concurrency: 6, perHost: 2 });
    const spellings = ['postgres://localhost:5432', 'postgres://127.0.0.1:5432', 'postgres://[::1]:5432'];
    let inFlight = 0;
    let peak = 0;
    const jobs = Array.from({ length: 18 }, (_, i) =>
      schedule({
        host: spellings[i % 3]!,
        run: async () => {
          peak = Math.max(peak, ++inFlight);
          await sleep(2);
          inFlight--;
        },
        notStarted: () => undefined,
      }),
    );
    await Promise.all(jobs);
    assert.equal(peak, 2, 'three spellings of the loopback server got a cap each');
    // Another port is another server: its own cap.
    const other = createScheduler({ concurrency: 6, perHost: 1 });
    inFlight = 0;
    peak = 0;
    await Promise.all(
      ['postgres://localhost:5432', 'postgres://localhost:5433'].map((host) =>
        other({
          host,
          run: async () => {
            peak = Math.max(peak, ++inFlight);
            await sleep(5);
            inFlight--;
          },
          notStarted: () => undefined,
        }),
      ),
    );
    assert.equal(peak, 2);
  });

  it('per-host larger than the global cap is bounded by the global cap', async () => {
    const m = meter();
    const schedule = createScheduler({ concurrency: 3, perHost: 10 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => schedule(m.job(`j${i}`, 'only', () => sleep(2)))));
    assert.equal(m.peakGlobal, 3);
  });

  it('a busy host does not block tenants on other hosts', async () => {
    const m = meter();
    const schedule = createScheduler({ concurrency: 3, perHost: 1 });
    const slowHost = gate();
    // Host A's jobs are queued first and its first job blocks until the end.
    const a = Array.from({ length: 10 }, (_, i) => schedule(m.job(`a${i}`, 'A', () => slowHost.opened)));
    const b = Array.from({ length: 6 }, (_, i) => schedule(m.job(`b${i}`, 'B', () => sleep(1))));
    const c = Array.from({ length: 6 }, (_, i) => schedule(m.job(`c${i}`, 'C', () => sleep(1))));
    const others = await within(Promise.all([...b, ...c]), 2000);
    assert.notEqual(others, 'timeout', 'tenants on B and C were stuck behind host A');
    assert.deepEqual(
      m.started.filter((id) => id.startsWith('a')),
      ['a0'],
      'host A never ran more than its cap',
    );
    slowHost.open();
    assert.equal((await Promise.all(a)).filter((r) => r.ran).length, 10);
  });

  it('a throttled host (beforeStart waiting) holds no global slot', async () => {
    const m = meter();
    const release = gate();
    const schedule = createScheduler({
      concurrency: 1,
      perHost: 1,
      beforeStart: async (host) => {
        if (host === 'throttled') await release.opened;
      },
    });
    const t = schedule(m.job('t0', 'throttled', async () => {}));
    const others = Array.from({ length: 3 }, (_, i) => schedule(m.job(`o${i}`, 'fine', () => sleep(1))));
    const done = await within(Promise.all(others), 2000);
    assert.notEqual(done, 'timeout');
    assert.ok(!m.started.includes('t0'));
    release.open();
    assert.equal((await t).ran, true);
  });

  it('abort: in-flight jobs finish, every job not yet started is reported notStarted', async () => {
    const m = meter();
    const controller = new AbortController();
    const schedule = createScheduler({ concurrency: 2, perHost: 2, signal: controller.signal });
    const hold = gate();
    const all = Array.from({ length: 10 }, (_, i) =>
      schedule(m.job(`j${i}`, i % 2 ? 'x' : 'y', () => hold.opened)),
    );
    // Wait for the two slots to fill (a loaded machine may take a while), then a little longer: a third
    // start would be a bug.
    await waitUntil('the two slots to fill', () => m.started.length >= 2);
    await sleep(10);
    assert.equal(m.started.length, 2);
    controller.abort();
    hold.open();
    const results = await Promise.all(all);
    const ran = results.filter((r) => r.ran);
    const notStarted = results.filter((r) => !r.ran);
    assert.equal(ran.length, 2, 'the two in-flight jobs completed');
    assert.equal(notStarted.length, 8);
    for (const r of notStarted) assert.match(r.reason!, /interrupted/);
    assert.equal(m.started.length, 2, 'nothing started after the abort');
  });

  it('an already-aborted signal starts nothing', async () => {
    const m = meter();
    const controller = new AbortController();
    controller.abort();
    const schedule = createScheduler({ concurrency: 4, perHost: 4, signal: controller.signal });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => schedule(m.job(`j${i}`, 'h', async () => {}))),
    );
    assert.ok(results.every((r) => !r.ran));
    assert.equal(m.started.length, 0);
  });

  it('startGate stops jobs from starting with its reason (failure budget)', async () => {
    const m = meter();
    let budget = 3;
    const schedule = createScheduler({
      concurrency: 1,
      perHost: 1,
      startGate: () => (budget-- > 0 ? undefined : 'budget exhausted'),
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => schedule(m.job(`j${i}`, 'h', async () => {}))),
    );
    assert.ok(results.filter((r) => r.ran).length >= 1);
    assert.ok(results.some((r) => r.reason === 'budget exhausted'));
  });

  it('refuses caps below 1', () => {
    assert.throws(() => createScheduler({ concurrency: 0, perHost: 1 }), RangeError);
    assert.throws(() => createScheduler({ concurrency: 1, perHost: 0 }), RangeError);
    assert.throws(() => createScheduler({ concurrency: Number.NaN, perHost: 1 }), RangeError);
  });
});
