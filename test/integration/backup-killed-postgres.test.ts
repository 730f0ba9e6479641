// `kill -9` of dbfleet during a backup must not leave its pg_dump running: that dump would hold its
// snapshot and its connection for as long as it liked. dbfleet starts its tools under setpriv
// --pdeathsig (src/util/parent-death.ts); here the real pg_dump is held mid-dump by a lock, its dbfleet
// is killed, and the pg_dump must be gone. The control run, with the parent-death signal turned off,
// shows the same pg_dump surviving — so the first test can fail.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Tenant } from '../../src/core/tenant.js';
import { adminQuery, createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';
import { findPgDump, isRunning } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('bkkill');
const database = `${prefix}_a`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-bkkill-'));
const tenant: Tenant = {
  id: database,
  dialect: 'postgres',
  connection: { host: '127.0.0.1', port: 5432, user: 'postgres', database },
  host: '127.0.0.1:5432',
  database,
  tags: [],
};

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: pgUrl(database) });
  await client.connect();
  return client;
}

/**
 * Runs a backup in a child process while a transaction holds a lock pg_dump needs mid-dump (renaming a
 * sequence locks it exclusively; pg_dump reads it, the schema-only fingerprint taken first does not;
 * the transaction is rolled back, so nothing changes), SIGKILLs the child once its pg_dump waits,
 * and says whether that pg_dump still runs 3 s later. The lock is released and a survivor killed after.
 */
async function pgDumpOutlivesKilledDbfleet(env: NodeJS.ProcessEnv): Promise<boolean> {
  const lock = await connect();
  await lock.query('begin; alter sequence public.customers_id_seq rename to customers_id_seq_held');
  let pgDump: number | undefined;
  try {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/backup-child.ts', JSON.stringify({ tenant, backupDir: root })],
      { env, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    pgDump = await waitFor('pg_dump to start', () => findPgDump(database));
    await waitFor('pg_dump to wait for the lock', async () => {
      const rows = await adminQuery(
        "select 1 from pg_stat_activity where datname = $1 and starts_with(application_name, 'dbfleet pg_dump') and wait_event_type = 'Lock'",
        [database],
      );
      return rows.length > 0 ? true : undefined;
    });
    child.kill('SIGKILL');
    await exited;
    for (let i = 0; i < 30 && isRunning(pgDump); i++) await sleep(100);
    return isRunning(pgDump);
  } finally {
    if (pgDump !== undefined && isRunning(pgDump)) process.kill(pgDump, 'SIGKILL');
    await lock.query('rollback');
    await lock.end();
  }
}

before(async () => {
  await createDatabases([database]);
  const client = await connect();
  await client.query(
    "create table customers (id serial primary key, name text); insert into customers (name) select 'c' || i from generate_series(1, 100) i",
  );
  await client.end();
});

after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

describe('a killed dbfleet takes its pg_dump with it', {
  skip: process.platform !== 'linux' && 'Linux only',
}, () => {
  test('kill -9 during a dump: pg_dump is gone, and its server session with it', {
    timeout: 60_000,
  }, async () => {
    assert.equal(await pgDumpOutlivesKilledDbfleet(process.env), false);
    // Its backend was waiting for the lock; once that is released it finds the client gone and ends.
    await waitFor('the dump session to end', async () => {
      const rows = await adminQuery(
        "select 1 from pg_stat_activity where datname = $1 and starts_with(application_name, 'dbfleet')",
        [database],
      );
      return rows.length === 0 ? true : undefined;
    });
  });

  test('…which it would outlive without the parent-death signal (what the test above guards)', {
    timeout: 60_000,
  }, async () => {
    assert.equal(await pgDumpOutlivesKilledDbfleet({ ...process.env, DBFLEET_NO_PDEATHSIG: '1' }), true);
  });
});
