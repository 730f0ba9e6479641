// Two shapes drift did not see: a table that lost its INHERITS (the parent's queries silently stop
// returning its rows) and a materialized view that lost its unique index (REFRESH … CONCURRENTLY then
// fails on that tenant alone). Both tenants compared equal to the majority.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { drift } from '../../src/index.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

const prefix = uniquePrefix('driftinh');
const [A, B, NO_INHERIT, NO_MV_INDEX] = ['a', 'b', 'noinherit', 'nomvindex'].map((s) => `${prefix}_${s}`) as [
  string,
  string,
  string,
  string,
];

before(async () => {
  await createDatabases([A, B, NO_INHERIT, NO_MV_INDEX]);
  for (const db of [A, B, NO_INHERIT, NO_MV_INDEX]) {
    await queryDatabase(
      db,
      `create table parent (id int, note text);
       create table child (extra int) inherits (parent);
       create materialized view note_counts as select note, count(*) as n from parent group by note;
       create unique index note_counts_note on note_counts (note);`,
    );
  }
  await queryDatabase(NO_INHERIT, 'alter table child no inherit parent');
  await queryDatabase(NO_MV_INDEX, 'drop index note_counts_note');
});

after(() => dropDatabases(prefix));

describe('drift: inheritance and materialized view indexes (PostgreSQL)', () => {
  it('a table that lost its parent and a materialized view that lost its index are drift', async () => {
    const report = await drift({
      tenants: [A, B, NO_INHERIT, NO_MV_INDEX].map((db) => postgresTenant(db, db)),
    });
    const byId = new Map(report.tenants.map((t) => [t.id, t.details]));
    assert.deepEqual(byId.get(B)?.differences, []);
    assert.deepEqual(byId.get(NO_INHERIT)?.differences, [
      { kind: '-', object: 'table child inherits', expected: 'parent', found: null },
    ]);
    assert.deepEqual(byId.get(NO_MV_INDEX)?.differences, [
      {
        kind: '-',
        object: 'index note_counts_note',
        expected: 'CREATE UNIQUE INDEX note_counts_note ON note_counts USING btree (note)',
        found: null,
      },
    ]);
  });
});
