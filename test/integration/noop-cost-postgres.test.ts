// What an up-to-date tenant costs its server: the most frequent run finds nothing to do, so `migrate`
// and `status` must ask no more of a tenant than the twenty lines a user could write (connect, read
// knex_migrations, end). Counted, not timed: every statement outside a transaction is one commit in
// pg_stat_database, which the backend flushes when it exits.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migrate, status, type Tenant, validateInventory } from '../../src/index.js';
import { adminQuery, createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('noopcost');
const database = `${prefix}_t`;
let dir: string;
let fleet: Tenant[];
/** What the twenty-line floor cost, measured by the first test on the same server. */
let floorCost: number | undefined;

async function commits(): Promise<number> {
  const [row] = await adminQuery<{ n: string }>(
    'select xact_commit + xact_rollback as n from pg_stat_database where datname = $1',
    [database],
  );
  return Number(row?.n ?? 0);
}

/**
 * The transactions `fn` cost the tenant database: the counter is read until it has moved and then held
 * still for a while (a backend reports its counts as it exits, just after the client saw the end).
 */
async function transactionsOf(fn: () => Promise<unknown>): Promise<number> {
  const before = await commits();
  await fn();
  let last = await commits();
  let stillSince = Date.now();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (last === before || Date.now() - stillSince < 300)) {
    await new Promise((r) => setTimeout(r, 20));
    const now = await commits();
    if (now !== last) {
      last = now;
      stillSince = Date.now();
    }
  }
  return last - before;
}

async function twentyLines(): Promise<void> {
  const client = new pg.Client(pgUrl(database));
  await client.connect();
  await client.query('select name from knex_migrations order by id');
  await client.end();
}

describe('an up-to-date PostgreSQL tenant costs what connect-and-read costs', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-noopcost-'));
    writeFileSync(join(dir, '001_accounts.sql'), 'create table accounts (id int);');
    writeFileSync(
      join(dir, '002_users.js'),
      'export const up = (knex) => knex.schema.createTable("users", (t) => t.increments());\n' +
        'export const down = (knex) => knex.schema.dropTable("users");\n',
    );
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    await createDatabases([database]);
    fleet = validateInventory([{ id: 't', dialect: 'postgres', connection: pgUrl(database) }], 'test');
    const first = await migrate({ tenants: fleet, migrations: dir });
    assert.equal(first.ok, true, JSON.stringify(first.tenants));
  });
  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the twenty-line floor is the connection and one statement (the yardstick reads true)', async () => {
    const floor = await transactionsOf(twentyLines);
    assert.ok(floor >= 1, `the floor cost ${floor} transactions: the counter did not move`);
    floorCost = floor;
  });

  for (const verb of ['status', 'migrate'] as const) {
    it(`${verb} on an up-to-date tenant: no statement more than the floor`, async () => {
      const floor = floorCost ?? (await transactionsOf(twentyLines));
      let ok = false;
      const cost = await transactionsOf(async () => {
        const report =
          verb === 'status'
            ? await status({ tenants: fleet, migrations: dir })
            : await migrate({ tenants: fleet, migrations: dir });
        ok = report.ok;
      });
      assert.ok(ok, `${verb} failed`);
      assert.equal(cost, floor, `${verb} cost ${cost} transactions, the floor ${floor}`);
    });
  }

  it('an edited migration is still refused after the one-statement read', async () => {
    writeFileSync(join(dir, '001_accounts.sql'), 'create table accounts (id bigint);');
    const report = await migrate({ tenants: fleet, migrations: dir });
    assert.equal(report.ok, false);
    assert.equal(report.tenants[0]?.error?.code, 'CHECKSUM_MISMATCH');
  });
});
