// two runners with --lock-wait on a tenant whose migration builds an index CONCURRENTLY.
// A waiter blocked inside `pg_advisory_lock` holds a snapshot, the holder's CREATE INDEX CONCURRENTLY
// waits for that snapshot, and the server breaks the cycle by cancelling the build: `deadlock detected`
// and an INVALID index. A waiter that polls holds no snapshot between polls, so the build goes through.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { jsonReport, startCli } from '../helpers/faults-cli.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('flockw');
const database = `${prefix}_a`;
/** An application-level lock the test holds to pause the first runner inside its first migration. */
const GATE = 7_714_001;

describe('two runners with --lock-wait and CREATE INDEX CONCURRENTLY', () => {
  let dir: string;

  before(async () => {
    await createDatabases([database]);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-flockw-'));
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations', '001_create.sql'),
      `create table t (v int);\nselect pg_advisory_lock(${GATE});\nselect pg_advisory_unlock(${GATE});\n`,
    );
    writeFileSync(
      join(dir, 'migrations', '002_index.sql'),
      '-- dbfleet: transaction=false\ncreate index concurrently if not exists t_v_idx on t (v);\n',
    );
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify([{ id: database, dialect: 'postgres', connection: pgUrl(database) }]),
    );
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the second runner waits without a snapshot: the index is built once, valid, no deadlock', {
    timeout: 120_000,
  }, async () => {
    const gate = new pg.Client({ connectionString: pgUrl(database) });
    await gate.connect();
    await gate.query('select pg_advisory_lock($1)', [GATE]);
    const args = (journal: string) => [
      'migrate',
      '--tenants',
      join(dir, 'tenants.json'),
      '--migrations',
      join(dir, 'migrations'),
      '--journal',
      join(dir, journal),
      '--lock-wait',
      '60s',
      '--lock-timeout',
      '60s',
      '--json',
    ];
    const first = startCli(args('first.db'), dir);
    const second = startCli(args('second.db'), dir);
    try {
      // The first runner holds the tenant's lock and waits at the gate inside migration 1…
      const holder = await waitFor(
        'the first runner to wait at the gate',
        async () => {
          const rows = await queryDatabase<{ pid: number }>(
            database,
            "select pid from pg_stat_activity where datname = current_database() and application_name = 'dbfleet' and wait_event_type = 'Lock' and query like '%pg_advisory_lock(' || $1::text || ')%'",
            [String(GATE)],
          );
          return rows[0]?.pid;
        },
        60_000,
      );
      // …and the second has asked for the tenant's lock (blocking or polling, whichever the code does).
      await waitFor(
        'the second runner to ask for the tenant lock',
        async () => {
          const rows = await queryDatabase(
            database,
            "select 1 from pg_stat_activity where datname = current_database() and application_name = 'dbfleet' and pid <> $1 and query like '%advisory_lock($1, hashtext($2))%'",
            [holder],
          );
          return rows.length > 0 ? true : undefined;
        },
        60_000,
      );
    } finally {
      await gate.query('select pg_advisory_unlock($1)', [GATE]);
      await gate.end();
    }
    const [a, b] = await Promise.all([first.done, second.done]);
    const reports = [jsonReport(a), jsonReport(b)];
    for (const report of reports)
      assert.equal(report.tenants[0]?.status, 'succeeded', JSON.stringify(report));
    assert.deepEqual(reports.flatMap((r) => r.tenants[0]?.applied ?? []).sort(), [
      '001_create.sql',
      '002_index.sql',
    ]);
    assert.equal(a.code, 0);
    assert.equal(b.code, 0);
    const index = await queryDatabase<{ valid: boolean }>(
      database,
      "select indisvalid as valid from pg_index where indexrelid = 't_v_idx'::regclass",
    );
    assert.deepEqual(index, [{ valid: true }]);
    const history = await queryDatabase<{ name: string }>(
      database,
      'select name from knex_migrations order by id',
    );
    assert.deepEqual(
      history.map((r) => r.name),
      ['001_create.sql', '002_index.sql'],
    );
  });
});
