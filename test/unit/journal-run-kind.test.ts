// A run named by id is only the run of the command that asks for it: `rollback --run` and
// `upgrade --resume` given a migrate run's id say so instead of treating it as an upgrade.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/core/errors.js';
import { migrate, rollbackRun, type Tenant, upgrade, validateInventory } from '../../src/index.js';
import type { UpgradeOperations } from '../../src/upgrade/types.js';

const MIGRATIONS = fileURLToPath(new URL('../fixtures/migrations-basic/', import.meta.url));
let dir: string;
let tenants: Tenant[];
let journal: string;
let migrateRun: string;

/** Never reached: the run is refused before any tenant starts. */
const operations = new Proxy({} as UpgradeOperations, {
  get: () => () => Promise.reject(new Error('no tenant may be touched')),
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-run-kind-'));
  tenants = validateInventory(
    [{ id: 'acme', dialect: 'sqlite', connection: join(dir, 'acme.sqlite') }],
    'test inventory',
  );
  writeFileSync(tenants[0]!.database, '');
  journal = join(dir, 'journal.db');
  const result = await migrate({ tenants, migrations: MIGRATIONS, journal });
  migrateRun = result.runId!;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('rollback --run with the id of a migrate run is a usage error', async () => {
  await assert.rejects(
    rollbackRun({ tenants, operations, journal, run: migrateRun, with: 'down' }),
    (err) => err instanceof UsageError && err.message.includes(`no upgrade run ${migrateRun}`),
  );
});

test('upgrade --resume with the id of a migrate run is a usage error', async () => {
  await assert.rejects(
    upgrade({ tenants, operations, journal, resume: migrateRun }),
    (err) => err instanceof UsageError && err.message.includes(`no upgrade run ${migrateRun}`),
  );
});
