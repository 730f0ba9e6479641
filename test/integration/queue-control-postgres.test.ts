// The control connection a worker holds its locks on. Its locks must exclude the worker's own tenants
// too (PostgreSQL's session locks are re-entrant, and a worker's tenants share one session: a second
// tenant used to "take" the host slot its first one held), and its session must end when the worker's
// machine vanishes without closing anything (server-side keepalives; the kernel default is two hours).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ControlConnection, lockAny, openControl } from '../../src/dialect/postgres/queue-control.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('qctl');
const CONTROL = `${prefix}_ctl`;
const KEY = [4242, 7] as const;
const opened: ControlConnection[] = [];
const open = async (name: string) => {
  const control = await openControl(pgUrl(CONTROL), name);
  opened.push(control);
  return control;
};

before(() => createDatabases([CONTROL]));
after(async () => {
  for (const c of opened) await c.close();
  await dropDatabases(prefix);
});

describe('the control connection', () => {
  it('does not give a lock it holds to a second caller of the same process', async () => {
    const one = await open('qctl-one');
    const other = await open('qctl-other');
    assert.equal(await one.tryLock(KEY), true);
    assert.equal(await one.tryLock(KEY), false, 'taken again on the same connection');
    assert.equal(await other.tryLock(KEY), false);
    await one.unlock(KEY);
    // Released once, free for anyone: no re-entrant count left behind.
    assert.equal(await other.tryLock(KEY), true);
    assert.equal(await one.tryLock(KEY), false);
    await other.unlock(KEY);
  });

  it('gives one key to one of many callers asking at once', async () => {
    const one = await open('qctl-race');
    const got = await Promise.all(Array.from({ length: 5 }, () => one.tryLock(KEY)));
    assert.equal(got.filter(Boolean).length, 1);
    await one.unlock(KEY);
  });

  it('lockAny: three callers of one process share two slots, the third waits for an unlock', async () => {
    const one = await open('qctl-slots');
    const slots = [
      [4242, 1],
      [4242, 2],
    ] as const;
    const first = await lockAny(one, slots, 10);
    const second = await lockAny(one, slots, 10);
    assert.notDeepEqual(first, second);
    let third: readonly [number, number] | undefined;
    const waiting = lockAny(one, slots, 10).then((k) => (third = k));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(third, undefined, 'a third holder while both slots are held');
    await one.unlock(first);
    await waiting;
    assert.deepEqual(third, first);
    await one.unlock(second);
    await one.unlock(first);
  });

  it('asks the server to notice a vanished worker: keepalives on the control session', async () => {
    const one = await open('qctl-alive');
    const [row] = await one.query<{ idle: string; interval: string; count: string }>(
      `select current_setting('tcp_keepalives_idle') as idle, current_setting('tcp_keepalives_interval') as interval,
              current_setting('tcp_keepalives_count') as count`,
    );
    // Only TCP sessions have them (a Unix-socket session reports 0): the URL is TCP.
    assert.deepEqual(row, { idle: '10', interval: '5', count: '3' });
  });
});
