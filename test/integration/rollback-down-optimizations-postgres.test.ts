// A rollback by down migrations (`upgrade --rollback-with down`, `rollback --run --with down`) once an
// optimization ran: every down ran, yet it failed ROLLBACK_MISMATCH / ROLLBACK_FAILED ("half-upgraded"),
// because dbfleet compared its own bookkeeping table (dbfleet_optimizations: new, or more rows) and the
// index the optimization built — which downs never undo. Now those are not mismatches: the index is said
// (`kept`), and a real difference names what differs and the restore command, not "half-upgraded".
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { validateInventory } from '../../src/inventory/validate.js';
import { INDEX, scenario } from '../helpers/down-optimizations.js';
import { adminQuery, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('dr8');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-down-optimizations-pg-'));
after(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropDatabases(prefix);
});

async function tenant(label: string) {
  const id = `${prefix}_${label}`;
  await adminQuery(`create database "${id}"`);
  const dir = join(root, label);
  const tenants = validateInventory([{ id, dialect: 'postgres', connection: pgUrl(id) }], 'test');
  return { id, s: await scenario(dir, tenants) };
}

const indexes = async (db: string) =>
  (
    await queryDatabase<{ n: string }>(
      db,
      "select indexname as n from pg_indexes where tablename = 'accounts'",
    )
  )
    .map((r) => r.n)
    .sort();
const columns = async (db: string) =>
  (
    await queryDatabase<{ n: string }>(
      db,
      "select column_name as n from information_schema.columns where table_name = 'accounts' order by 1",
    )
  ).map((r) => r.n);

describe('rollback by downs after an optimization (PostgreSQL)', () => {
  it('upgrade --rollback-with down: rolled back, the optimization index kept and said', {
    timeout: 60_000,
  }, async () => {
    const { id, s } = await tenant('up');
    const report = await s.upgrade({ failCheck: true });
    const t = report.tenants[0]!;
    assert.equal(t.error?.code, 'CHECK_FAILED', JSON.stringify(t.error));
    assert.match(t.error?.message ?? '', /rolled back to the pre-upgrade state/);
    assert.equal(t.details.rolledBack, true);
    assert.equal(t.details.needsAttention, undefined);
    assert.deepEqual(t.details.kept, [
      `kept: index ${INDEX} built by optimization ${INDEX} on public.accounts (down migrations do not undo optimizations)`,
    ]);
    assert.deepEqual(await columns(id), ['created_at', 'id']);
    assert.ok((await indexes(id)).includes(INDEX));
  });

  it('rollback --run --with down, twice over (more optimization records than the backup has)', {
    timeout: 60_000,
  }, async () => {
    const { id, s } = await tenant('run');
    assert.equal((await s.upgrade()).ok, true);
    const first = (await s.rollback()).tenants[0]!;
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    assert.equal(first.details.kept?.length, 1, JSON.stringify(first.details));
    // Again: the pre-upgrade backup now has the index and 2 records; the run adds 2 more ('skipped').
    assert.equal((await s.upgrade()).ok, true);
    const second = (await s.rollback()).tenants[0]!;
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    assert.equal(second.details.kept, undefined, 'the index was there before this run');
    assert.deepEqual(await columns(id), ['created_at', 'id']);
  });

  it('a real difference: says what differs and the restore command, never "half-upgraded"', {
    timeout: 60_000,
  }, async () => {
    const { id, s } = await tenant('leak');
    const up = (await s.upgrade({ failCheck: true, leaky: true })).tenants[0]!;
    assert.equal(up.error?.code, 'ROLLBACK_FAILED');
    const attention = String(up.details.needsAttention);
    assert.match(attention, /public\.leaky: not in the backup/);
    assert.doesNotMatch(attention, /half-upgraded|dbfleet_optimizations|public\.accounts: schema/);
    assert.match(
      attention,
      new RegExp(`dbfleet restore --tenant ${id} --backup \\S+\\.dump --yes --drop-unexpected`),
    );

    const { s: s2, id: id2 } = await tenant('leak_run');
    assert.equal((await s2.upgrade({ leaky: true })).ok, true);
    const rb = (await s2.rollback({ leaky: true })).tenants[0]!;
    assert.equal(rb.error?.code, 'ROLLBACK_MISMATCH');
    assert.match(rb.error?.message ?? '', /public\.leaky: not in the backup/);
    assert.match(rb.error?.message ?? '', /kept: index accounts_created_idx/);
    assert.match(rb.error?.message ?? '', new RegExp(`dbfleet restore --tenant ${id2} --backup \\S+ --yes`));
  });
});
