// The one-transaction restore runs two tools, psql and pg_restore writing into it: either one missing is
// TOOL_NOT_FOUND naming it, and the other is stopped — no psql session left open on the tenant.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { restoreInOneTransaction } from '../../src/dialect/postgres/restore-script.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('rscript');
const db = `${prefix}_db`;
before(() => createDatabases([db]));
after(() => dropDatabases(prefix));

const attempt = (bin: Record<string, string>) =>
  restoreInOneTransaction({
    conn: { host: '127.0.0.1', port: 5432, user: 'postgres' },
    database: db,
    appName: `dbfleet pg_restore ${prefix}`,
    signal: new AbortController().signal,
    tools: { bin },
    prelude: ['create table made_by_the_prelude (x int)'],
    restoreArgs: ['/nonexistent/archive.dump'],
  });

for (const tool of ['psql', 'pg_restore']) {
  it(`a missing ${tool} is TOOL_NOT_FOUND; nothing is left open or committed`, async () => {
    await assert.rejects(attempt({ [tool]: `/nonexistent/${tool}` }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'TOOL_NOT_FOUND');
      assert.match(err.message, new RegExp(`/nonexistent/${tool} not found`));
      return true;
    });
    for (let i = 0; ; i++) {
      const [row] = await queryDatabase<{ n: number }>(
        db,
        `select count(*)::int as n from pg_stat_activity where application_name = 'dbfleet pg_restore ${prefix}'`,
      );
      if (row!.n === 0) break;
      assert.ok(i < 100, 'the psql session went away');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [made] = await queryDatabase<{ t: string | null }>(
      db,
      "select to_regclass('made_by_the_prelude')::text as t",
    );
    assert.equal(made!.t, null, 'the prelude rolled back');
  });
}

it('an archive pg_restore cannot read: its failure, and the prelude rolled back', async () => {
  const run = await attempt({});
  assert.equal(run.ok, false);
  assert.equal(run.ok === false && run.tool, 'pg_restore');
  const [made] = await queryDatabase<{ t: string | null }>(
    db,
    "select to_regclass('made_by_the_prelude')::text as t",
  );
  assert.equal(made!.t, null);
});
