// a role whose CONNECTION LIMIT is below --per-host. Tenants refused a connection used to
// fail at once (`too many connections`); now they wait for one of the run's own connections there to
// close, the host's cap comes down for the rest of the run (a `host:capped` event says so), and every
// tenant succeeds.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FleetEvent, migrate, validateInventory } from '../../src/index.js';
import { adminQuery, dropDatabases, PG_ADMIN_URL, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('fconn');
const role = `${prefix}_role`;
const databases = Array.from({ length: 8 }, (_, i) => `${prefix}_${i}`);

function urlAs(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.username = role;
  url.password = '';
  url.pathname = `/${database}`;
  return url.toString();
}

describe('a connection limit below --per-host', () => {
  let dir: string;

  before(async () => {
    await adminQuery(`create role "${role}" login connection limit 2`);
    for (const name of databases) await adminQuery(`create database "${name}" owner "${role}"`);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-fconn-'));
    mkdirSync(join(dir, 'migrations'));
    // Long enough that the run's connections overlap.
    writeFileSync(join(dir, 'migrations', '001_t.sql'), 'create table t (v int);\nselect pg_sleep(0.5);\n');
  });

  after(async () => {
    await dropDatabases(prefix);
    await adminQuery(`drop role if exists "${role}"`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues the refused tenants, lowers the host cap, and every tenant succeeds', {
    timeout: 180_000,
  }, async () => {
    const tenants = validateInventory(
      databases.map((name) => ({ id: name, dialect: 'postgres', connection: urlAs(name) })),
      'test inventory',
    );
    const events: FleetEvent[] = [];
    const report = await migrate({
      tenants,
      migrations: join(dir, 'migrations'),
      concurrency: 6,
      perHost: 6,
      onEvent: (e) => events.push(e),
    });
    const failed = report.tenants.filter((t) => t.status !== 'succeeded');
    assert.deepEqual(
      failed.map((t) => `${t.id}: ${t.error?.code} ${t.error?.message}`),
      [],
    );
    const capped = events.filter((e) => e.type === 'host:capped');
    assert.ok(capped.length >= 1, 'no host:capped event');
    const first = capped[0] as Extract<FleetEvent, { type: 'host:capped' }>;
    assert.equal(first.from, 6);
    assert.ok(first.to >= 1 && first.to <= 2, `cap lowered to ${first.to}`);
    assert.match(first.reason, /connection limit hit/);
    for (const name of databases) {
      const rows = await queryDatabase<{ name: string }>(name, 'select name from knex_migrations');
      assert.deepEqual(rows, [{ name: '001_t.sql' }]);
    }
  });
});
