// The per-host cap can come down mid-run (a server refused connections): running work finishes, and no
// new work starts on that key until fewer than the new cap run. Other keys keep their cap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyedLimit } from '../../src/util/keyed-limit.js';
import { waitUntil } from '../helpers/wait.js';

test('lowering a key’s cap holds new work back until fewer than the new cap run', async () => {
  const limit = keyedLimit(3);
  const running = { db1: 0, db2: 0 };
  const release: Record<keyof typeof running, (() => void)[]> = { db1: [], db2: [] };
  const job = (key: keyof typeof running) => () =>
    new Promise<void>((resolve) => {
      running[key]++;
      release[key].push(() => {
        running[key]--;
        resolve();
      });
    });
  const first = [0, 1, 2].map(() => limit('db1', job('db1')));
  await waitUntil('three db1 jobs to run', () => running.db1 === 3);
  assert.deepEqual(limit.lower('db1', 1), { from: 3, to: 1 });
  assert.equal(limit.lower('db1', 2), undefined, 'a cap is only ever lowered');
  const later = [0, 1].map(() => limit('db1', job('db1')));
  // Other keys keep their cap: db2 runs three at once.
  const other = [0, 1, 2].map(() => limit('db2', job('db2')));
  await waitUntil('db2 to run three', () => running.db2 === 3);
  assert.equal(running.db1, 3, 'no new db1 job started above the lowered cap');
  release.db1.shift()!();
  await Promise.resolve();
  assert.equal(running.db1, 2, 'still at or above the new cap: nothing new starts');
  for (const open of release.db1.splice(0)) open();
  await Promise.all(first);
  await waitUntil('one later db1 job to run', () => running.db1 === 1);
  assert.equal(release.db1.length, 1, 'one at a time');
  release.db1.shift()!();
  await waitUntil('the other later job to run', () => release.db1.length === 1);
  release.db1.shift()!();
  for (const open of release.db2.splice(0)) open();
  await Promise.all([...later, ...other]);
});
