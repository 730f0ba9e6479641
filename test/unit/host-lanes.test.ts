import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { forEachInHostLanes } from '../../src/fleet/host-lanes.js';

type Item = { id: number; host: string };

function fleet(hosts: string[], perHost: number): Item[] {
  // Sorted by host, as an inventory often is: the hosts listed last must not wait for the first.
  return hosts.flatMap((host, h) =>
    Array.from({ length: perHost }, (_, i) => ({ id: h * perHost + i, host })),
  );
}

describe('forEachInHostLanes', () => {
  it('hands out at most `lanes` items per host at a time, and every item exactly once', async () => {
    const items = fleet(['a', 'b', 'c'], 200);
    const outstanding = new Map<string, number>();
    let peakTotal = 0;
    let total = 0;
    const peakPerHost = new Map<string, number>();
    const seen: number[] = [];
    await forEachInHostLanes(
      items,
      (i) => i.host,
      4,
      async (item) => {
        seen.push(item.id);
        const n = (outstanding.get(item.host) ?? 0) + 1;
        outstanding.set(item.host, n);
        peakPerHost.set(item.host, Math.max(peakPerHost.get(item.host) ?? 0, n));
        peakTotal = Math.max(peakTotal, ++total);
        await tick();
        outstanding.set(item.host, outstanding.get(item.host)! - 1);
        total--;
      },
    );
    assert.deepEqual(
      [...seen].sort((x, y) => x - y),
      items.map((i) => i.id),
    );
    assert.deepEqual([...peakPerHost.values()], [4, 4, 4]);
    // The property that keeps a 10,000-tenant run's memory flat: never more than hosts × lanes handed out.
    assert.equal(peakTotal, 12);
  });

  it('starts every host before any host gets its second lane, and keeps each host in order', async () => {
    const items = fleet(['a', 'b'], 3);
    const started: string[] = [];
    await forEachInHostLanes(
      items,
      (i) => i.host,
      2,
      async (item) => {
        started.push(`${item.host}${item.id}`);
        await tick();
      },
    );
    assert.deepEqual(started.slice(0, 4), ['a0', 'b3', 'a1', 'b4']);
    assert.deepEqual(
      started.filter((s) => s.startsWith('a')),
      ['a0', 'a1', 'a2'],
    );
  });

  it('takes no more items after a rejection and rejects with it', async () => {
    const items = fleet(['a'], 50);
    let calls = 0;
    await assert.rejects(
      forEachInHostLanes(
        items,
        (i) => i.host,
        2,
        async (item) => {
          calls++;
          await tick();
          if (item.id === 3) throw new Error('journal write failed');
        },
      ),
      /journal write failed/,
    );
    await tick();
    await tick();
    assert.ok(calls <= 5, `${calls} items started after the failure`);
  });

  it('does nothing for no items', async () => {
    await forEachInHostLanes(
      [],
      () => 'a',
      4,
      async () => assert.fail('called'),
    );
  });
});
