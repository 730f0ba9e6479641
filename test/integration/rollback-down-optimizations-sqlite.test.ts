// SQLite twin of rollback-down-optimizations-postgres.test.ts: a rollback by downs once an optimization
// ran failed on dbfleet's own dbfleet_optimizations table and the optimization's index (which downs never
// undo). Now the index is said (`kept`), and a real difference names what differs and the restore command.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { validateInventory } from '../../src/inventory/validate.js';
import { INDEX, scenario } from '../helpers/down-optimizations.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-down-optimizations-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function tenant(label: string) {
  const dir = join(root, label);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${label}.sqlite`);
  new Database(file).close(); // the tenant exists before dbfleet migrates it
  const tenants = validateInventory([{ id: label, dialect: 'sqlite', connection: file }], 'test');
  return { file, s: await scenario(dir, tenants) };
}

function catalog(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const names = (sql: string) => (db.prepare(sql).all() as { name: string }[]).map((r) => r.name).sort();
    return {
      columns: names("select name from pragma_table_info('accounts')"),
      indexes: names("select name from sqlite_master where type = 'index' and tbl_name = 'accounts'"),
    };
  } finally {
    db.close();
  }
}

describe('rollback by downs after an optimization (SQLite)', () => {
  it('upgrade --rollback-with down: rolled back, the optimization index kept and said', async () => {
    const { file, s } = await tenant('up');
    const t = (await s.upgrade({ failCheck: true })).tenants[0]!;
    assert.equal(t.error?.code, 'CHECK_FAILED', JSON.stringify(t.error));
    assert.equal(t.details.rolledBack, true);
    assert.deepEqual(t.details.kept, [
      `kept: index ${INDEX} built by optimization ${INDEX} on accounts (down migrations do not undo optimizations)`,
    ]);
    assert.deepEqual(catalog(file), { columns: ['created_at', 'id'], indexes: [INDEX] });
  });

  it('rollback --run --with down, twice over (more optimization records than the backup has)', async () => {
    const { file, s } = await tenant('run');
    assert.equal((await s.upgrade()).ok, true);
    const first = (await s.rollback()).tenants[0]!;
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    assert.equal(first.details.kept?.length, 1, JSON.stringify(first.details));
    assert.equal((await s.upgrade()).ok, true);
    const second = (await s.rollback()).tenants[0]!;
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    assert.equal(second.details.kept, undefined, 'the index was there before this run');
    assert.deepEqual(catalog(file).columns, ['created_at', 'id']);
  });

  it('a real difference: says what differs and the restore command, never "half-upgraded"', async () => {
    const { s } = await tenant('leak');
    const up = (await s.upgrade({ failCheck: true, leaky: true })).tenants[0]!;
    assert.equal(up.error?.code, 'ROLLBACK_FAILED');
    const attention = String(up.details.needsAttention);
    assert.match(attention, /leaky: not in the backup/);
    assert.doesNotMatch(attention, /half-upgraded|dbfleet_optimizations|accounts: schema/);
    assert.match(attention, /dbfleet restore --tenant leak --backup \S+\.sqlite --yes --drop-unexpected/);
  });
});
