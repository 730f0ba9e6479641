// The PostgreSQL side of rollback-run-twice-sqlite.test.ts: the journal on a PostgreSQL control database
// (where a queued run keeps it), and the tenant's history read from PostgreSQL. A second
// `rollback --run <id> --with down` ran the downs again: once a later upgrade had applied the migrations
// again, it dropped what users had written since.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { writeRollbackTwiceMigrations } from '../helpers/rollback-twice-migrations.js';

const prefix = uniquePrefix('rbtwice');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-twice-pg-'));
before(() => createDatabases([`${prefix}_ctl`]));
after(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropDatabases(prefix);
});

async function fixture(label: string) {
  const db = `${prefix}_${label}`;
  await createDatabases([db]);
  await queryDatabase(
    db,
    "create table customers (id serial primary key, name text); insert into customers (name) values ('a')",
  );
  const migrations = writeRollbackTwiceMigrations(join(root, label));
  const tenants = validateInventory([{ id: label, dialect: 'postgres', connection: pgUrl(db) }], 'test');
  const journal = pgUrl(`${prefix}_ctl`);
  const setup = { tenants, migrations, backupDir: join(root, label, 'backups'), journal };
  const prepared = await prepareUpgrade(setup);
  const upgraded = async () => {
    const up = await upgrade({ ...prepared, tenants, concurrency: 1 });
    assert.equal(up.ok, true, JSON.stringify(up.tenants));
    return up.runId!;
  };
  const rolledBack = async (run: string) => {
    const report = await rollbackRun({ ...prepared, tenants, journal, run, with: 'down', concurrency: 1 });
    const t = report.tenants[0]!;
    return {
      runId: report.runId,
      status: t.status,
      error: t.error,
      ...(t.details as { applied: string[]; alreadyRolledBack?: string }),
    };
  };
  const tables = async () =>
    (
      await queryDatabase<{ tablename: string }>(
        db,
        "select tablename from pg_tables where schemaname = 'public' and tablename not like 'knex_%' and tablename not like 'dbfleet_%' order by 1",
      )
    ).map((r) => r.tablename);
  return { db, upgraded, rolledBack, tables };
}

describe('PostgreSQL: rollback --run <id> --with down, a second time', () => {
  it('after a later upgrade applied the migrations again: nothing runs, their data stays', async () => {
    const f = await fixture('reupgraded');
    const runId = await f.upgraded();
    const first = await f.rolledBack(runId);
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    assert.deepEqual(first.applied, ['002_notes.js', '001_orders.js']);
    await f.upgraded();
    await queryDatabase(
      f.db,
      "insert into notes (body) values ('written since'); insert into orders default values",
    );

    const again = await f.rolledBack(runId);
    assert.equal(again.status, 'succeeded', JSON.stringify(again.error));
    assert.deepEqual(again.applied, []);
    assert.equal(again.alreadyRolledBack, first.runId);
    assert.deepEqual(await queryDatabase(f.db, 'select body from notes'), [{ body: 'written since' }]);
  });

  it('after one that stopped half-way: only the down of what is still applied runs', async () => {
    const f = await fixture('halfway');
    const runId = await f.upgraded();
    await queryDatabase(f.db, 'create table fail_down (x int)');
    const first = await f.rolledBack(runId);
    assert.equal(first.status, 'failed');
    assert.match(first.error?.message ?? '', /told to fail/);
    await queryDatabase(f.db, 'drop table fail_down');

    const second = await f.rolledBack(runId);
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    assert.deepEqual(second.applied, ['001_orders.js']);
    assert.deepEqual(await f.tables(), ['customers']);
  });
});
