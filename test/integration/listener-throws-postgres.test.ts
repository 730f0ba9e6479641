// A library caller's onEvent that throws (a progress bar's bug) is the caller's problem, not the fleet's:
// thrown on `migration:applied` it failed tenants whose migrations had committed; thrown on `tenant:done`
// it rejected the run while the other tenants' sessions were open, and their migration locks stayed held
// for as long as the process lived — the next run in that process found the PostgreSQL tenant LOCKED.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type FleetEventType,
  migrate,
  prepareUpgrade,
  status,
  upgrade,
  validateInventory,
} from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('listener');
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-listener-'));
const MIGRATIONS = resolve(import.meta.dirname, '../fixtures/migrations-basic');
const THROWN_ON: FleetEventType[] = ['run:start', 'migration:applied', 'tenant:done', 'run:done'];

before(() => createDatabases([...THROWN_ON.map((_, i) => `${prefix}_${i}`), `${prefix}_up`]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

function fleet(name: string, database: string) {
  const file = join(dir, `${name}.sqlite`);
  writeFileSync(file, '');
  return validateInventory(
    [
      { id: `${name}-pg`, dialect: 'postgres', connection: pgUrl(database) },
      { id: `${name}-lite`, dialect: 'sqlite', connection: file },
    ],
    name,
  );
}

const thrower = (type: FleetEventType) => (event: { type: string }) => {
  if (event.type === type) throw new Error(`the listener broke on ${type}`);
};

for (const [i, type] of THROWN_ON.entries()) {
  test(`a listener throwing on ${type}: every tenant migrated, reported succeeded, its lock released`, async () => {
    const tenants = fleet(`t${i}`, `${prefix}_${i}`);
    const report = await migrate({ tenants, migrations: MIGRATIONS, onEvent: thrower(type) });
    assert.deepEqual(
      report.tenants.map((t) => [t.id, t.status, t.error?.message]),
      tenants.map((t) => [t.id, 'succeeded', undefined]),
    );
    // The same process runs again at once: no tenant is locked by a session the first run left open.
    const again = await migrate({ tenants, migrations: MIGRATIONS });
    assert.deepEqual(
      again.tenants.map((t) => [t.id, t.status, t.error?.code]),
      tenants.map((t) => [t.id, 'succeeded', undefined]),
    );
    const read = await status({ tenants, migrations: MIGRATIONS });
    assert.deepEqual(
      read.tenants.map((t) => t.details.pending),
      tenants.map(() => []),
    );
  });
}

test('an upgrade whose listener throws on every event upgrades every tenant', async () => {
  const tenants = fleet('up', `${prefix}_up`);
  const setup = await prepareUpgrade({
    tenants,
    migrations: MIGRATIONS,
    backupDir: join(dir, 'backups'),
    journal: join(dir, 'journal.db'),
  });
  const report = await upgrade({
    ...setup,
    tenants,
    onEvent: () => {
      throw new Error('the listener broke');
    },
  });
  assert.deepEqual(
    report.tenants.map((t) => [t.id, t.status, t.error?.message]),
    tenants.map((t) => [t.id, 'succeeded', undefined]),
  );
});
