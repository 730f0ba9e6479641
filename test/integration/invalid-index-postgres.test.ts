// A migration without a transaction whose CREATE INDEX CONCURRENTLY fails leaves an INVALID index: the
// failure names it, and an `IF NOT EXISTS` rerun that skips the leftover is not recorded as applied.
// Against the code before this check, the rerun was recorded as applied with the index still INVALID.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadMigrations, migrate, type Tenant, validateInventory } from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('invalid_idx');
const db = `${prefix}_a`;
let dir: string;
let tenant: Tenant;

const invalidIndexes = async () =>
  (
    await queryDatabase<{ name: string }>(
      db,
      'select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid where not i.indisvalid order by 1',
    )
  ).map((r) => r.name);
const history = async () =>
  (await queryDatabase<{ name: string }>(db, 'select name from knex_migrations order by id')).map(
    (r) => r.name,
  );

describe('a migration without a transaction and the INVALID index it leaves', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-invalid-idx-'));
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '001_accounts.sql'),
      "create table accounts (email text);\ninsert into accounts values ('a@x'), ('a@x');\n" +
        // An INVALID index the next migrations have nothing to do with.
        'create table other (v int);\n',
    );
    writeFileSync(
      join(migrations, '002_unique_email.sql'),
      '-- dbfleet: transaction=false\ncreate unique index concurrently if not exists accounts_email_uq on accounts (email);\n',
    );
    await createDatabases([db]);
    [tenant] = validateInventory([{ id: 'a', dialect: 'postgres', connection: pgUrl(db) }], 'test') as [
      Tenant,
    ];
  });
  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a failed build names the INVALID index it left and says the migration had no transaction', async () => {
    const migrations = await loadMigrations(join(dir, 'migrations'));
    const report = await migrate({ tenants: [tenant], migrations });
    const error = report.tenants[0]!.error!;
    assert.equal(report.tenants[0]!.status, 'failed');
    assert.match(error.message, /^002_unique_email\.sql: /);
    assert.match(error.message, /without a transaction, so what it did before the failure stays applied/);
    assert.match(error.message, /INVALID index public\.accounts_email_uq/);
    assert.deepEqual(await invalidIndexes(), ['accounts_email_uq']);
    assert.deepEqual(await history(), ['001_accounts.sql']);
  });

  it('an IF NOT EXISTS rerun that skips the INVALID leftover is refused, not recorded as applied', async () => {
    const migrations = await loadMigrations(join(dir, 'migrations'));
    // Another INVALID index, not this migration's: it must not be blamed on it.
    await queryDatabase(db, 'insert into other values (1), (1)');
    await queryDatabase(db, 'create unique index concurrently other_v_uq on other (v)').catch(() => {});
    const report = await migrate({ tenants: [tenant], migrations });
    const result = report.tenants[0]!;
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'INVALID_INDEX');
    assert.match(result.error!.message, /not recorded as applied/);
    assert.match(result.error!.message, /public\.accounts_email_uq/);
    assert.doesNotMatch(result.error!.message, /other_v_uq/);
    assert.deepEqual(await history(), ['001_accounts.sql']);
  });

  it('once the leftover is dropped and the data fixed, the migration applies', async () => {
    await queryDatabase(db, 'drop index concurrently accounts_email_uq');
    await queryDatabase(db, 'delete from accounts where ctid <> (select min(ctid) from accounts)');
    const migrations = await loadMigrations(join(dir, 'migrations'));
    const report = await migrate({ tenants: [tenant], migrations });
    assert.equal(report.ok, true, JSON.stringify(report.tenants));
    assert.deepEqual(await history(), ['001_accounts.sql', '002_unique_email.sql']);
    // The unrelated INVALID index is still there and did not stop the migration.
    assert.deepEqual(await invalidIndexes(), ['other_v_uq']);
  });
});
