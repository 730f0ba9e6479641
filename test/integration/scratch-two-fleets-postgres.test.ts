// Two fleets on one PostgreSQL server (staging and production databases) each have a tenant `acme`. Deep
// verification named its scratch database from the tenant id only, and a sweep took a free advisory lock
// on the name for "abandoned" — but advisory locks belong to the database the session is connected to:
// production's sweep, connected to production's acme, never saw the lock staging's run held in staging's
// acme, and dropped staging's scratch database in the middle of its verification (its pg_restore
// terminated). The scratch name now carries the tenant's database, so only sessions of that database —
// the one lock space its owner locks in — ever sweep it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import type { BackupDetails } from '../../src/backup/context.js';
import { backup, verify } from '../../src/backup/fleet.js';
import type { Tenant } from '../../src/core/tenant.js';
import { postgresAdapter } from '../../src/dialect/postgres/index.js';
import { scratchPrefix } from '../../src/dialect/postgres/scratch.js';
import {
  adminQuery,
  createDatabases,
  dropDatabases,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';

const prefix = uniquePrefix('scr2');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-scr2-'));
const SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres' };
// The same tenant id in both fleets; the id must start with the test prefix (cleanup finds the scratch).
const ID = `${prefix}_acme`;

function acmeIn(database: string): Tenant {
  const p = postgresAdapter.parseConnection({ ...SERVER, database });
  return {
    id: ID,
    dialect: 'postgres',
    connection: p.connection,
    host: p.host,
    database: p.database,
    tags: [],
  };
}
const staging = acmeIn(`${prefix}_staging`);
const production = acmeIn(`${prefix}_production`);

before(async () => {
  await createDatabases([staging.database, production.database]);
  for (const t of [staging, production])
    await queryDatabase(
      t.database,
      'create table customers (id int primary key); insert into customers values (1)',
    );
});
after(async () => {
  await dropDatabases(prefix);
  await dropDatabases(`dbfleet_verify_${prefix}`);
  rmSync(root, { recursive: true, force: true });
});

/**
 * Staging's deep verification, in another process (as another fleet's run is), stopped while its
 * scratch database exists and its owner holds the lock; `done()` lets it drop the scratch and exit.
 */
async function stagingVerifying(): Promise<{ name: string; done: () => Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/scratch-holder.ts', JSON.stringify(staging)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return {
    name: line,
    done: () => {
      child.stdin!.end();
      return exited;
    },
  };
}

const exists = async (name: string) =>
  (await adminQuery('select 1 from pg_database where datname = $1', [name])).length === 1;

test("production's deep verify does not sweep the scratch database staging's verify of acme is using", async () => {
  const backupDir = join(root, 'production-backups');
  assert.equal((await backup({ tenants: [production], backupDir })).ok, true);
  const live = await stagingVerifying();
  try {
    assert.ok(await exists(live.name));
    const report = await verify({ tenants: [production], backupDir, deep: true });
    assert.equal(report.ok, true, JSON.stringify(report.tenants));
    const swept = (report.tenants[0]?.details as BackupDetails | undefined)?.swept ?? [];
    assert.deepEqual(swept, [], `production swept ${swept.join(', ')}`);
    assert.ok(await exists(live.name), "staging's scratch database was dropped under it");
  } finally {
    assert.equal(await live.done(), 0, 'the staging run dropped its scratch database and ended');
  }
  assert.equal(await exists(live.name), false);
});

test('the two fleets never name a scratch database alike, and each name fits 63 bytes', () => {
  assert.notEqual(scratchPrefix(staging), scratchPrefix(production));
  assert.ok(scratchPrefix(staging).startsWith(`dbfleet_verify_${ID.slice(0, 24)}_`));
  assert.ok(Buffer.byteLength(`${scratchPrefix(staging)}2147483646`) <= 63);
});
