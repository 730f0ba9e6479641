// Schema tenants made by the same migration each get their own collation (a case-insensitive ICU one is
// the common case: `create collation ci …` runs in the tenant's schema). The drift read printed a
// column's collation with its schema, so every such tenant differed from every other one
// (`collate s1.ci → collate s2.ci`): its own schema is left out now, as it is from table names; a
// column on another collation is still drift.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { drift } from '../../src/index.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

const prefix = uniquePrefix('driftcoll');
const db = `${prefix}_shared`;
const SCHEMAS = ['s1', 's2', 's3'];

before(async () => {
  await createDatabases([db]);
  for (const s of SCHEMAS) {
    await queryDatabase(
      db,
      `create schema ${s};
       create collation ${s}.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
       create table ${s}.accounts (id int primary key, name text collate ${s}.ci);`,
    );
  }
  await queryDatabase(db, 'alter table s3.accounts alter column name type text collate "C"');
});

after(() => dropDatabases(prefix));

describe('drift: schema tenants with their own collation', () => {
  it('the same collation in each tenant’s schema is no drift; another collation is', async () => {
    const report = await drift({ tenants: SCHEMAS.map((s) => postgresTenant(s, db, s)) });
    const byId = new Map(report.tenants.map((t) => [t.id, t]));
    assert.equal(byId.get('s1')?.details.group, 1, JSON.stringify(byId.get('s1')?.details));
    assert.equal(byId.get('s2')?.details.group, 1, JSON.stringify(byId.get('s2')?.details));
    assert.deepEqual(byId.get('s2')?.details.differences, []);
    const s3 = JSON.stringify(byId.get('s3')?.details.differences);
    assert.match(s3, /column accounts\.name/, s3);
    assert.match(s3, /collate ci/, s3);
    assert.match(s3, /collate pg_catalog\.C/, s3);
  });
});
