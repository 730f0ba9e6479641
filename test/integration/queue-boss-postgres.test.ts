// Runners that start together on a new control database (a fleet's workers deployed at once) must all
// come up. pg-boss attaches the tenant queue's partition without a lock of its own, and a runner that
// lost that race to another's create or fetch died with "deadlock detected" before it took a job.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type PgBoss from 'pg-boss';
import { openBoss, stopBoss } from '../../src/queue/boss.js';
import { TENANT_QUEUE } from '../../src/queue/job.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('qboss');
const RUNNERS = 8;
const ROUNDS = 3;

after(() => dropDatabases(prefix));

describe('pg-boss on a new control database', () => {
  it(`${RUNNERS} runners opening at once all come up, while the first ones already fetch`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const database = `${prefix}_ctl${round}`;
      await createDatabases([database]);
      const opened: PgBoss[] = [];
      let fetching = true;
      const fetchers: Promise<void>[] = [];
      const results = await Promise.allSettled(
        Array.from({ length: RUNNERS }, async () => {
          const boss = await openBoss(pgUrl(database), () => {});
          opened.push(boss);
          // What a worker does as soon as it is up: ask for jobs, against the others' creates.
          fetchers.push(
            (async () => {
              while (fetching) await boss.fetch(TENANT_QUEUE).catch(() => {});
            })(),
          );
        }),
      );
      fetching = false;
      await Promise.all(fetchers);
      await Promise.all(opened.map(stopBoss));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.deepEqual(
        failed.map((r) => String((r.reason as Error).message)),
        [],
        `round ${round}: runners failed to start`,
      );
    }
  });
});
