// Journal.read goes between write batches on the journal's one connection: a read asked for while a
// run's rows are queued (or being written) sees them committed, never half a batch. Queue workers read
// a tenant's earlier steps this way while other tenants' steps are being written.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Journal } from '../../src/engine.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('jread');
const DB = `${prefix}_j`;

before(() => createDatabases([DB]));
after(() => dropDatabases(prefix));

test('a read asked for while writes are queued sees them committed', async () => {
  const journal = await Journal.open(pgUrl(DB));
  try {
    const tenants = Array.from({ length: 400 }, (_, i) => ({ id: `t${i}`, host: 'h' }));
    journal.planRun('run-1', 'upgrade', {}, tenants);
    const counted = await journal.read(async (knex) => {
      const [row] = await knex('dbfleet_run_tenants').where({ run_id: 'run-1' }).count({ n: '*' });
      // Inside a batch this connection would be in its open transaction.
      const [tx] = (await knex.raw('select now() = statement_timestamp() as outside')).rows;
      return { n: Number(row?.n), outside: tx.outside as boolean };
    });
    assert.deepEqual(counted, { n: 400, outside: true });
  } finally {
    await journal.close();
  }
});

// A queue worker keeps its journal for its whole life: after the control database cut its connection for a
// moment (a failover, a restart), every later write failed, and with it every tenant the worker took.
test('writes cut off with the connection are kept and stored once it is back; later writes go on', async () => {
  const journal = await Journal.open(pgUrl(DB));
  const cut = () =>
    queryDatabase(
      'postgres',
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${DB}' and pid <> pg_backend_pid()`,
    ).catch(() => {});
  try {
    journal.planRun('run-before', 'migrate', {}, [{ id: 'a', host: 'h' }]);
    await journal.flush();
    // Every connection of the journal is cut for a while, new ones too, while a run's rows are written.
    let cutting = true;
    const cutter = (async () => {
      while (cutting) {
        await cut();
        await new Promise((done) => setTimeout(done, 5));
      }
    })();
    await new Promise((done) => setTimeout(done, 300));
    const tenants = Array.from({ length: 3000 }, (_, i) => ({ id: `t${i}`, host: 'h' }));
    journal.planRun('run-cut', 'migrate', {}, tenants);
    const flushed = journal.flush();
    await new Promise((done) => setTimeout(done, 900));
    cutting = false;
    await cutter;
    await flushed;
    journal.planRun('run-after', 'migrate', {}, [{ id: 'b', host: 'h' }]);
    await journal.flush();
    const counts = await journal.read(async (knex) =>
      Object.fromEntries(
        (
          await knex('dbfleet_run_tenants')
            .whereIn('run_id', ['run-before', 'run-cut', 'run-after'])
            .groupBy('run_id')
            .select('run_id')
            .count({ n: '*' })
        ).map((r) => [String((r as { run_id: string }).run_id), Number(r.n)]),
      ),
    );
    assert.deepEqual(counts, { 'run-before': 1, 'run-cut': 3000, 'run-after': 1 });
  } finally {
    await journal.close();
  }
});
