// A read-only SQLite session (status, plan, drift) reads the history, the shape and the version over a
// read-only handle instead of a knex instance: it must give exactly what the ordinary session gives.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteSession } from '../../src/dialect/sqlite/session.js';
import { sessionOptionsOf } from '../../src/fleet/options.js';
import { migrate, validateInventory } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-sqlite-ro-'));
const file = join(dir, 'a.sqlite');
const [tenant] = validateInventory([{ id: 'a', dialect: 'sqlite', connection: file }], 'test') as [
  ReturnType<typeof validateInventory>[number],
];
const tables = {
  history: 'knex_migrations',
  lock: 'knex_migrations_lock',
  checksums: 'dbfleet_migration_checksums',
};
const options = sessionOptionsOf({ tenants: [tenant] });

before(async () => {
  writeFileSync(file, ''); // an empty file is an empty database
  const report = await migrate({
    tenants: [tenant],
    migrations: join(import.meta.dirname, '../../migrations'),
  });
  assert.equal(report.summary.succeeded, 1, JSON.stringify(report.tenants));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a read-only SQLite session', () => {
  it('reads the same history, tables, shape and version as the ordinary session', async () => {
    const ordinary = await openSqliteSession(tenant, { ...options, create: false });
    const readOnly = await openSqliteSession(tenant, { ...options, create: false, readOnly: true });
    try {
      const rows = await readOnly.readCompleteHistory(tables);
      assert.ok(rows && rows.length > 2, 'history rows and checksums');
      assert.deepEqual(rows, await ordinary.readCompleteHistory(tables));
      assert.deepEqual(await readOnly.readHistoryRows(tables), await ordinary.readHistoryRows(tables));
      const names = [...Object.values(tables), 'no_such_table'];
      assert.deepEqual(
        [...(await readOnly.existingTables(names))].sort(),
        [...(await ordinary.existingTables(names))].sort(),
      );
      assert.equal(await readOnly.readCompleteHistory({ ...tables, lock: 'no_such_table' }), undefined);
      assert.deepEqual(await readOnly.schemaShape(), await ordinary.schemaShape());
      assert.equal(await readOnly.serverVersion(), await ordinary.serverVersion());
      // knex on demand still works, over its own connection.
      const [count] = await readOnly.knex('knex_migrations').count({ n: '*' });
      assert.ok(Number(count?.n) > 0);
    } finally {
      await readOnly.close();
      await ordinary.close();
    }
  });
});
