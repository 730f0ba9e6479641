// The load probe: tenants on a host wait while its probe reads over the threshold. A fake probe
// stands in for the SQL query; the scheduler is the real one, so "no start while over threshold" is what
// the upgrade gets.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../../src/core/errors.js';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import { createScheduler } from '../../src/fleet/scheduler.js';
import { createThrottle, validateThrottle } from '../../src/upgrade/throttle.js';
import { waitUntil } from '../helpers/wait.js';

const tenant = (id: string, host: string): Tenant => ({
  id,
  dialect: 'postgres',
  connection: {},
  host,
  database: id,
  tags: [],
});

/** A probe whose value the test sets; counts calls per host. */
function fakeProbe(initial: Record<string, number | Error>, delayMs = 1) {
  const value = new Map(Object.entries(initial));
  const calls = new Map<string, number>();
  return {
    set: (host: string, v: number | Error) => value.set(host, v),
    calls,
    probe: async (t: Tenant) => {
      calls.set(t.host, (calls.get(t.host) ?? 0) + 1);
      await sleep(delayMs);
      const v = value.get(t.host) ?? 0;
      if (v instanceof Error) throw v;
      return v;
    },
  };
}

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

/** Every test's waits end with it, passed or failed: a throttled host re-probes forever, and a loop
 * left running keeps the test process (and the CI run) alive. */
const stoppers: AbortController[] = [];
afterEach(() => {
  for (const c of stoppers.splice(0)) c.abort();
});
function testSignal(): AbortSignal {
  const c = new AbortController();
  stoppers.push(c);
  return c.signal;
}

const hosts = (...ts: Tenant[]) => new Map(ts.map((t) => [t.host, t]));

describe('validateThrottle', () => {
  it('accepts { query, max, interval? } and nothing is fine too', () => {
    assert.equal(validateThrottle(undefined), undefined);
    const t = { query: 'select 1', max: 3, interval: '2s' };
    assert.deepEqual(validateThrottle(t), t);
  });
  for (const bad of [
    null,
    {},
    { query: '', max: 1 },
    { query: 'select 1' },
    { query: 'select 1', max: '3' },
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => validateThrottle(bad), UsageError);
    });
  }
});

describe('createThrottle', () => {
  it('under the threshold: returns at once, no event', async () => {
    const p = fakeProbe({ h1: 2 });
    const events: FleetEvent[] = [];
    const wait = createThrottle(
      { query: 'q', max: 2, interval: 10 },
      hosts(tenant('a', 'h1')),
      (e) => events.push(e),
      p.probe,
    );
    assert.notEqual(await within(wait('h1'), 500), 'timeout');
    assert.deepEqual(events, []);
  });

  it('over the threshold: waits, says why once, re-probes every interval, resumes when it drops', async () => {
    const p = fakeProbe({ h1: 9 });
    const events: FleetEvent[] = [];
    const wait = createThrottle(
      { query: 'q', max: 4, interval: 20 },
      hosts(tenant('a', 'h1')),
      (e) => events.push(e),
      p.probe,
    );
    let done = false;
    const started = Date.now();
    const waiting = wait('h1', testSignal()).then(() => {
      done = true;
    });
    await waitUntil('four probes', () => (p.calls.get('h1') ?? 0) >= 4);
    const elapsed = Date.now() - started;
    assert.equal(done, false, 'no start while over threshold');
    assert.deepEqual(events, [{ type: 'host:throttled', host: 'h1', reason: 'probe returned 9 > max 4' }]);
    // Four probes are three intervals apart: a wait that did not sit out its interval would be quicker.
    assert.ok(elapsed >= 55, `re-probed every 20 ms, not in a busy loop: 4 probes in ${elapsed} ms`);
    p.set('h1', 4);
    assert.notEqual(await within(waiting, 1000), 'timeout');
    assert.deepEqual(events.at(-1), { type: 'host:resumed', host: 'h1' });
    assert.equal(events.length, 2);
  });

  it('a probe that fails counts as over threshold, with the error as the reason', async () => {
    const p = fakeProbe({ h1: new Error('connection refused') });
    const events: FleetEvent[] = [];
    const wait = createThrottle(
      { query: 'q', max: 4, interval: 10 },
      hosts(tenant('a', 'h1')),
      (e) => events.push(e),
      p.probe,
    );
    const waiting = wait('h1', testSignal());
    await waitUntil('the throttled event', () => events.length > 0);
    assert.deepEqual(events, [
      { type: 'host:throttled', host: 'h1', reason: 'probe failed: connection refused' },
    ]);
    p.set('h1', 0);
    assert.notEqual(await within(waiting, 1000), 'timeout');
  });

  it('abort ends the wait at once (no interval to sit out)', async () => {
    const p = fakeProbe({ h1: 100 });
    const ac = new AbortController();
    stoppers.push(ac);
    const wait = createThrottle(
      { query: 'q', max: 1, interval: '1h' },
      hosts(tenant('a', 'h1')),
      () => {},
      p.probe,
    );
    const waiting = wait('h1', ac.signal);
    await sleep(20);
    ac.abort();
    assert.notEqual(await within(waiting, 500), 'timeout');
  });

  it('abort during a slow probe: no interval sat out afterwards', async () => {
    const p = fakeProbe({ h1: 100 }, 60);
    const ac = new AbortController();
    stoppers.push(ac);
    const wait = createThrottle(
      { query: 'q', max: 1, interval: '1h' },
      hosts(tenant('a', 'h1')),
      () => {},
      p.probe,
    );
    const waiting = wait('h1', ac.signal);
    await sleep(10);
    ac.abort();
    assert.notEqual(await within(waiting, 500), 'timeout');
  });

  it('many waiters on one host share the probe (cached for the interval, one in flight)', async () => {
    const p = fakeProbe({ h1: 0 });
    const wait = createThrottle(
      { query: 'q', max: 1, interval: '1m' },
      hosts(tenant('a', 'h1')),
      () => {},
      p.probe,
    );
    await Promise.all(Array.from({ length: 50 }, () => wait('h1')));
    assert.equal(p.calls.get('h1'), 1);
  });

  it('a host without a known tenant is never throttled', async () => {
    const p = fakeProbe({});
    const wait = createThrottle({ query: 'q', max: 0 }, new Map(), () => {}, p.probe);
    assert.notEqual(await within(wait('elsewhere'), 200), 'timeout');
    assert.equal(p.calls.size, 0);
  });

  it('a long wait does not pile up abort listeners on the run signal', async () => {
    const p = fakeProbe({ h1: 5 });
    const ac = new AbortController();
    stoppers.push(ac);
    const wait = createThrottle(
      { query: 'q', max: 1, interval: 2 },
      hosts(tenant('a', 'h1')),
      () => {},
      p.probe,
    );
    const waiting = Promise.all(Array.from({ length: 4 }, () => wait('h1', ac.signal)));
    await sleep(150);
    const listeners = getEventListeners(ac.signal, 'abort').length;
    assert.ok(listeners <= 4, `${listeners} abort listeners after ~50 probe rounds of 4 waiters`);
    p.set('h1', 0);
    await within(waiting, 1000);
  });
});

describe('throttle + scheduler: no tenant starts on a host over threshold, other hosts flow', () => {
  it('holds host A while its probe is high, runs host B meanwhile, then runs A', async () => {
    const a = [tenant('a1', 'A'), tenant('a2', 'A'), tenant('a3', 'A')];
    const b = [tenant('b1', 'B'), tenant('b2', 'B')];
    const p = fakeProbe({ A: 50, B: 0 });
    const events: FleetEvent[] = [];
    const started: string[] = [];
    const throttle = createThrottle(
      { query: 'q', max: 10, interval: 15 },
      hosts(a[0]!, b[0]!),
      (e) => events.push(e),
      p.probe,
    );
    const schedule = createScheduler({
      concurrency: 2,
      perHost: 2,
      beforeStart: throttle,
      signal: testSignal(),
    });
    const jobs = [...a, ...b].map((t) =>
      schedule({
        host: t.host,
        run: async () => {
          started.push(t.id);
          await sleep(2);
          return 'ran';
        },
        notStarted: (reason) => reason,
      }),
    );
    await waitUntil('host B to start', () => started.length >= 2);
    await waitUntil('A throttled', () => events.some((e) => e.type === 'host:throttled' && e.host === 'A'));
    await waitUntil('A re-probed', () => (p.calls.get('A') ?? 0) >= 3);
    assert.deepEqual(started.sort(), ['b1', 'b2'], 'only host B started');
    assert.ok(!events.some((e) => e.type === 'host:throttled' && e.host === 'B'));
    p.set('A', 3);
    const results = await within(Promise.all(jobs), 2000);
    assert.deepEqual(results, ['ran', 'ran', 'ran', 'ran', 'ran']);
    assert.deepEqual(started.slice(2).sort(), ['a1', 'a2', 'a3']);
    assert.ok(events.some((e) => e.type === 'host:resumed' && e.host === 'A'));
  });

  it('abort while throttled: the waiting tenants are reported not started, never run', async () => {
    const ac = new AbortController();
    stoppers.push(ac);
    const p = fakeProbe({ A: 50 });
    const throttle = createThrottle(
      { query: 'q', max: 10, interval: '1h' },
      hosts(tenant('a1', 'A')),
      () => {},
      p.probe,
    );
    const schedule = createScheduler({
      concurrency: 4,
      perHost: 4,
      beforeStart: throttle,
      signal: ac.signal,
    });
    let ran = 0;
    const jobs = ['a1', 'a2', 'a3'].map(() =>
      schedule({
        host: 'A',
        run: async () => {
          ran++;
          return 'ran';
        },
        notStarted: (reason) => reason,
      }),
    );
    await sleep(30);
    ac.abort();
    const results = await within(Promise.all(jobs), 1000);
    assert.deepEqual(results, Array(3).fill('not started: the run was interrupted'));
    assert.equal(ran, 0);
  });
});
