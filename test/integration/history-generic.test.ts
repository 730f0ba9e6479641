// The history members every session has (existingTables, recordMigration, readHistoryRows): SQLite's are
// the knex-built helpers of src/dialect/history-generic.ts, run for real; on PostgreSQL its one-round-trip
// versions and those helpers write and read the same rows in one throwaway database.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import {
  existingTablesVia,
  readCompleteHistoryVia,
  readHistoryRowsVia,
  recordMigrationVia,
} from '../../src/dialect/history-generic.js';
import { getAdapter } from '../../src/dialect/registry.js';
import type { MigrationRecord, SessionOptions, TenantSession } from '../../src/dialect/types.js';
import { validateInventory } from '../../src/index.js';
import {
  ensureHistoryTables,
  type HistoryLocation,
  historyLocation,
  historyTables,
} from '../../src/migration/history.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const OPTIONS: SessionOptions = { timeouts: { lockTimeoutMs: 5_000, statementTimeoutMs: 0 }, create: true };

function recordOf(where: HistoryLocation, name: string, batch: number, extra: Partial<MigrationRecord> = {}) {
  const tables = { history: where.history, lock: where.lock, checksums: where.checksums };
  return {
    tables,
    ...(where.schema ? { schema: where.schema } : {}),
    name,
    batch,
    checksum: `sum-${name}`,
    holdKnexLock: true,
    ...extra,
  } satisfies MigrationRecord;
}

/**
 * readCompleteHistory on a history with `where`'s tables: undefined while any of the three is missing
 * (dropped one by one), the same rows as readHistoryRows once all are there.
 */
async function checkCompleteRead(session: TenantSession, where: HistoryLocation): Promise<void> {
  const sql = (name: string) => (where.schema ? `"${where.schema}"."${name}"` : `"${name}"`);
  await ensureHistoryTables(session.knex, where);
  await session.knex.transaction((trx) => session.recordMigration(trx, recordOf(where, '001_a.js', 1)));
  const rows = await session.readCompleteHistory(where, where.schema);
  assert.deepEqual(normalized(rows ?? []), normalized(await session.readHistoryRows(where, where.schema)));
  assert.equal(rows?.filter((r) => r.kind === 'a').length, 1);
  assert.deepEqual(
    normalized((await readCompleteHistoryVia(session.knex, where, where.schema)) ?? []),
    normalized(rows ?? []),
  );
  for (const name of [where.lock, where.checksums, where.history]) {
    await session.runScript(`drop table ${sql(name)}`);
    assert.equal(await session.readCompleteHistory(where, where.schema), undefined, `without ${name}`);
    assert.equal(await readCompleteHistoryVia(session.knex, where, where.schema), undefined);
  }
}

type Recorder = (on: Knex | Knex.Transaction, record: MigrationRecord) => Promise<boolean>;

/**
 * The same story through one writer: two migrations recorded in transactions, a third over a stale
 * checksum row (`knex migrate:rollback` leaves one), and one refused while knex's lock row is set.
 */
async function writeStory(
  session: TenantSession,
  where: HistoryLocation,
  record: Recorder,
): Promise<boolean[]> {
  const { knex } = session;
  const table = (name: string) => (where.schema ? knex(name).withSchema(where.schema) : knex(name));
  const results: boolean[] = [];
  results.push(await knex.transaction((trx) => record(trx, recordOf(where, '001_a.js', 1))));
  results.push(await knex.transaction((trx) => record(trx, recordOf(where, '002_b.sql', 1))));
  await table(where.checksums).insert({
    name: '003_c.js',
    checksum: 'stale',
    source: 'applied',
    recorded_at: new Date(),
  });
  results.push(
    await knex.transaction((trx) =>
      record(trx, recordOf(where, '003_c.js', 2, { staleChecksum: true, holdKnexLock: false })),
    ),
  );
  await table(where.lock).update({ is_locked: 1 });
  results.push(await knex.transaction((trx) => record(trx, recordOf(where, '004_d.js', 3))));
  await table(where.lock).update({ is_locked: 0 });
  return results;
}

const EXPECTED_ROWS = [
  { kind: 'a', id: 1, name: '001_a.js', batch: 1, checksum: null },
  { kind: 'a', id: 2, name: '002_b.sql', batch: 1, checksum: null },
  { kind: 'a', id: 3, name: '003_c.js', batch: 2, checksum: null },
  { kind: 'c', id: null, name: '001_a.js', batch: null, checksum: 'sum-001_a.js' },
  { kind: 'c', id: null, name: '002_b.sql', batch: null, checksum: 'sum-002_b.sql' },
  { kind: 'c', id: null, name: '003_c.js', batch: null, checksum: 'sum-003_c.js' },
];

/** The checksum rows come back in the table's order: compare them as a set. */
function normalized(rows: readonly Record<string, unknown>[] | readonly object[]) {
  return [...rows]
    .map((r) => ({ ...r }) as { kind: string; name: string })
    .sort((a, b) => (a.kind + a.name).localeCompare(b.kind + b.name));
}

describe('generic history helpers on SQLite', () => {
  let dir: string;
  let session: TenantSession;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-history-generic-'));
    const [tenant] = validateInventory(
      [{ id: 'lite', dialect: 'sqlite', connection: join(dir, 'lite.sqlite') }],
      'test',
    );
    session = await getAdapter('sqlite').open(tenant!, OPTIONS);
  });
  after(async () => {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('existingTables sees exactly the tables that exist, before and after they are created', async () => {
    const where = historyLocation(session.tenant);
    const names = [...historyTables(where), 'not_there'];
    assert.deepEqual([...(await session.existingTables(names))], []);
    await ensureHistoryTables(session.knex, where);
    assert.deepEqual(new Set(await session.existingTables(names)), new Set(historyTables(where)));
    assert.deepEqual(new Set(await existingTablesVia(session.knex, names)), new Set(historyTables(where)));
  });

  it('recordMigration writes what readHistoryRows reads back; a set knex lock row records nothing', async () => {
    const where = historyLocation(session.tenant);
    assert.deepEqual(await writeStory(session, where, session.recordMigration), [true, true, true, false]);
    const rows = await session.readHistoryRows(where);
    assert.deepEqual(normalized(rows), normalized(EXPECTED_ROWS));
    // knex's order: history rows by id, first.
    assert.deepEqual(
      rows.filter((r) => r.kind === 'a').map((r) => r.name),
      ['001_a.js', '002_b.sql', '003_c.js'],
    );
    assert.deepEqual(normalized(await readHistoryRowsVia(session.knex, where)), normalized(rows));
  });

  it('readCompleteHistory reads all three tables or says one is missing', async () => {
    await checkCompleteRead(session, historyLocation(session.tenant, { tableName: 'complete_history' }));
  });
});

describe('PostgreSQL: the one-round-trip members and the generic helpers agree', () => {
  const prefix = uniquePrefix('histgen');
  const database = `${prefix}_db`;
  let session: TenantSession;

  before(async () => {
    await createDatabases([database]);
    const [tenant] = validateInventory(
      [{ id: 'pg', dialect: 'postgres', connection: pgUrl(database) }],
      'test',
    );
    session = await getAdapter('postgres').open(tenant!, OPTIONS);
    await session.runScript('create schema other');
  });
  after(async () => {
    await session?.close();
    await dropDatabases(prefix);
  });

  for (const schema of [undefined, 'other']) {
    const label = schema ? `in schema ${schema}` : 'in the current schema';
    it(`write the same history and read it the same way, ${label}`, async () => {
      const fast = historyLocation(
        {},
        { tableName: 'fast_history', ...(schema ? { schemaName: schema } : {}) },
      );
      const generic = historyLocation(
        {},
        { tableName: 'generic_history', ...(schema ? { schemaName: schema } : {}) },
      );
      const names = [...historyTables(fast), ...historyTables(generic), 'not_there'];
      assert.deepEqual(
        new Set(await session.existingTables(names, schema)),
        new Set(await existingTablesVia(session.knex, names, schema)),
      );
      await ensureHistoryTables(session.knex, fast);
      await ensureHistoryTables(session.knex, generic);
      const seenFast = await session.existingTables(names, schema);
      assert.deepEqual(new Set(seenFast), new Set([...historyTables(fast), ...historyTables(generic)]));
      assert.deepEqual(new Set(await existingTablesVia(session.knex, names, schema)), new Set(seenFast));

      const fastResults = await writeStory(session, fast, (on, record) =>
        session.recordMigration(on, record),
      );
      const genericResults = await writeStory(session, generic, recordMigrationVia);
      assert.deepEqual(fastResults, [true, true, true, false]);
      assert.deepEqual(genericResults, fastResults);

      for (const where of [fast, generic]) {
        const viaSession = await session.readHistoryRows(where, where.schema);
        const viaKnex = await readHistoryRowsVia(session.knex, where, where.schema);
        assert.deepEqual(
          normalized(viaSession),
          normalized(viaKnex),
          `the readers differ on ${where.history}`,
        );
        assert.deepEqual(normalized(viaSession), normalized(EXPECTED_ROWS));
        assert.deepEqual(
          viaSession.filter((r) => r.kind === 'a'),
          viaKnex.filter((r) => r.kind === 'a'),
        );
      }
    });

    it(`readCompleteHistory is the read and the existence check in one, ${label}`, async () => {
      await checkCompleteRead(
        session,
        historyLocation({}, { tableName: 'complete_history', ...(schema ? { schemaName: schema } : {}) }),
      );
    });
  }

  it('readCompleteHistory in a schema that does not exist is undefined, not an error', async () => {
    const where = historyLocation({}, { schemaName: 'no_such_schema' });
    assert.equal(await session.readCompleteHistory(where, where.schema), undefined);
  });
});
