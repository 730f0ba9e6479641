// A tenant whose connection sets a search_path naming no schema that exists (`options=-c search_path=x`):
// every command failed with "null values cannot be formatted as an SQL identifier" (dbfleet's own table
// probe formatted the null current schema). Now it reads as knex does — no history table there — and
// migrate fails with PostgreSQL's cause and what it means.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadMigrations, migrate, status, validateInventory } from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('search_path');
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-search-path-'));
const url = `${pgUrl(`${prefix}_a`)}?options=${encodeURIComponent('-c search_path=nowhere')}`;
const tenants = () => validateInventory([{ id: 'a', dialect: 'postgres', connection: url }], 'test');

before(async () => {
  await createDatabases([`${prefix}_a`]);
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(join(dir, 'migrations', '001_t.sql'), 'create table t (id int);\n');
});
after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('a search_path that names no existing schema', () => {
  it('status reads no history there (as knex does), and migrate says why it cannot create one', async () => {
    const migrations = await loadMigrations(join(dir, 'migrations'));
    const read = await status({ tenants: tenants(), migrations });
    assert.equal(read.tenants[0]?.status, 'succeeded', JSON.stringify(read.tenants[0]?.error));
    assert.deepEqual(read.tenants[0]?.details.pending, ['001_t.sql']);

    const run = await migrate({ tenants: tenants(), migrations });
    const error = run.tenants[0]?.error;
    assert.equal(run.tenants[0]?.status, 'failed');
    assert.match(error?.message ?? '', /no schema has been selected to create in/);
    assert.match(error?.message ?? '', /search_path names no schema that exists in this database/);
  });
});
