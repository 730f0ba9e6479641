// Two runs that start at once on a journal nobody has used yet — two library calls in one process, or two
// CLI processes of a CI matrix sharing a PostgreSQL control database — both create its tables. Each used
// to check `hasTable` and then `create table`: the slower one failed with "table dbfleet_runs already
// exists", a usage error, and its run never started.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Journal } from '../../src/engine.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('jopen');
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-jopen-'));
const AT_ONCE = 4;
const ROUNDS = 3;

before(() => createDatabases(Array.from({ length: ROUNDS }, (_, i) => `${prefix}_${i}`)));
after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

/** Opens the same new journal AT_ONCE times at once; every open must succeed. */
async function openAtOnce(target: string): Promise<void> {
  const opened = await Promise.allSettled(Array.from({ length: AT_ONCE }, () => Journal.open(target)));
  await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined)));
  const failures = opened.flatMap((o) => (o.status === 'rejected' ? [String(o.reason?.message)] : []));
  assert.deepEqual(failures, [], `opening ${target} ${AT_ONCE} times at once`);
}

test('a new SQLite journal opened by several runs at once opens for all of them', async () => {
  for (let i = 0; i < ROUNDS; i++) await openAtOnce(join(dir, `journal-${i}.db`));
});

test('a new PostgreSQL journal opened by several runs at once opens for all of them', async () => {
  for (let i = 0; i < ROUNDS; i++) await openAtOnce(pgUrl(`${prefix}_${i}`));
});
