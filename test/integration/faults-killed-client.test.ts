// a dbfleet killed with `kill -9` mid-statement. Its backend used to run the statement to
// the end — up to the statement timeout — holding the tenant's lock, so the next run found every such
// tenant LOCKED with no runner left. With client_connection_check_interval as a start-up option the
// server notices the closed socket within seconds. And a LOCKED tenant says who holds its lock.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { refusedSetting } from '../../src/dialect/postgres/liveness-options.js';
import { jsonReport, startCli } from '../helpers/faults-cli.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('fkill');
const database = `${prefix}_a`;

describe('a dbfleet killed mid-statement', () => {
  let dir: string;
  const cli = (journal: string) => [
    'migrate',
    '--tenants',
    join(dir, 'tenants.json'),
    '--migrations',
    join(dir, 'migrations'),
    '--journal',
    join(dir, journal),
    '--json',
  ];

  before(async () => {
    await createDatabases([database]);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-fkill-'));
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations', '001_long.sql'),
      'create table t (v int);\nselect pg_sleep(600);\n',
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

  it('its backend ends within seconds, and the lock with it', { timeout: 120_000 }, async () => {
    const run = startCli(cli('killed.db'), dir);
    const pid = await waitFor(
      'the long statement to run',
      async () => {
        const rows = await queryDatabase<{ pid: number }>(
          database,
          "select pid from pg_stat_activity where datname = current_database() and application_name = 'dbfleet' and state = 'active' and query like '%pg_sleep(600)%'",
        );
        return rows[0]?.pid;
      },
      60_000,
    );
    run.child.kill('SIGKILL');
    await run.done;
    try {
      // Bounded by far less than the 10 min statement timeout the statement would otherwise run to.
      await waitFor(
        'the dead client’s backend to end',
        async () => {
          const rows = await queryDatabase(database, 'select 1 from pg_stat_activity where pid = $1', [pid]);
          return rows.length === 0 ? true : undefined;
        },
        20_000,
      );
    } finally {
      await queryDatabase(database, 'select pg_terminate_backend($1)', [pid]);
    }
  });

  it('a LOCKED tenant says who holds its lock', { timeout: 120_000 }, async () => {
    const holder = new pg.Client({ connectionString: pgUrl(database), application_name: 'runner-2' });
    await holder.connect();
    try {
      const { rows } = await holder.query<{ pid: number }>(
        "select pg_backend_pid() as pid, pg_advisory_lock(x'64626631'::int, hashtext(''))",
      );
      const run = await startCli(cli('locked.db'), dir).done;
      const tenant = jsonReport(run).tenants[0]!;
      assert.equal(tenant.status, 'skipped');
      assert.equal(tenant.error?.code, 'LOCKED');
      assert.match(tenant.error!.message, /not dbfleet/);
      assert.match(tenant.error!.message, /application_name 'runner-2'/);
      assert.match(tenant.error!.message, new RegExp(`backend pid ${rows[0]!.pid}\\b`));
      assert.match(tenant.error!.message, /client 127\.0\.0\.1:\d+/);
      assert.match(tenant.error!.message, /connected since \d{4}-/);
    } finally {
      await holder.end();
    }
  });

  it('an unknown start-up setting is refused the way the fallback for PostgreSQL < 14 expects', async () => {
    // PostgreSQL 15 knows client_connection_check_interval; a setting it does not know is refused
    // exactly as 12 and 13 refuse that one.
    const name = 'client_connection_check_intervalx';
    const client = new pg.Client({ connectionString: pgUrl(database), options: `-c ${name}=1` });
    const err = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    await client.end().catch(() => {});
    assert.ok(err, 'the server accepted an unknown setting');
    assert.equal(refusedSetting(err, name), true, String(err));
    assert.equal(refusedSetting(err, 'statement_timeout'), false);
  });
});
