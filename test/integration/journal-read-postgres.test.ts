// Journal.read goes between write batches on the journal's one connection: a read asked for while a
// run's rows are queued (or being written) sees them committed, never half a batch. Queue workers read
// a tenant's earlier steps this way while other tenants' steps are being written.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Journal } from '../../src/engine.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

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
