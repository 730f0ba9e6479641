// Smoke checks only look. A check ran on the tenant's ordinary session, so one that wrote — a
// `DELETE … RETURNING true`, a module's stray update, even on a second connection knex opened beside the
// pinned one — passed and changed customer data after the last backup of the pre-upgrade state; and a
// check file with two queries failed "Cannot read properties of undefined (reading '0')".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import {
  countGrades,
  createGradesTenant,
  type GradesTenant,
  removeGradesTenant,
  upgradeGradesTenant,
} from '../helpers/grades-tenant.js';
import { queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('checks_ro');
let fleet: GradesTenant;

const upgradeWith = (label: string, setup: { checks: unknown; hooks?: unknown }) =>
  upgradeGradesTenant(fleet, label, setup);
const grades = () => countGrades(fleet);

before(async () => {
  fleet = await createGradesTenant(
    prefix,
    'school-7',
    `
     create table app_settings (key text primary key, value text);
     insert into app_settings values ('maintenance', 'off')`,
  );
});

after(() => removeGradesTenant(fleet, prefix));

describe('smoke checks cannot write (PostgreSQL)', () => {
  test('a SQL check that deletes fails, and the rows stay', async () => {
    const tenant = await upgradeWith('sql-delete', {
      checks: [{ name: 'sneaky', sql: 'DELETE FROM grades RETURNING true' }],
    });
    assert.equal(tenant.status, 'failed');
    assert.equal(tenant.error?.code, 'CHECK_FAILED');
    assert.match(tenant.error!.message, /smoke check sneaky failed: .*read-only transaction/);
    assert.equal(await grades(), 10);
  });

  test("a module check's write on a second connection beside the pinned one fails too", async () => {
    const run = async (knex: Knex) => {
      // Two queries at once: knex runs the second on a connection of its own.
      await Promise.all([knex.raw('select pg_sleep(0.2)'), knex('grades').del()]);
      return true;
    };
    const tenant = await upgradeWith('module-parallel', { checks: [{ name: 'parallel', run }] });
    assert.equal(tenant.status, 'failed');
    assert.match(tenant.error?.message ?? '', /smoke check parallel failed: .*read-only transaction/);
    assert.equal(await grades(), 10);
  });

  test('a check file with two queries is refused by name, not with a TypeError', async () => {
    const tenant = await upgradeWith('two-queries', {
      checks: [{ name: 'two', sql: 'SELECT true;\nSELECT count(*) = 10 FROM grades;' }],
    });
    assert.equal(tenant.status, 'failed');
    assert.match(tenant.error?.message ?? '', /smoke check two failed: one query was expected.*2 statements/);
  });

  test('after the checks the session writes again: afterTenant reopens the tenant', async () => {
    const tenant = await upgradeWith('reopen', {
      checks: [{ name: 'scores', sql: 'SELECT count(*) = 10 FROM grades' }],
      hooks: {
        beforeTenant: "update app_settings set value = 'on' where key = 'maintenance'",
        afterTenant: "update app_settings set value = 'off' where key = 'maintenance'",
      },
    });
    assert.equal(tenant.status, 'succeeded', tenant.error?.message);
    const [flag] = await queryDatabase<{ value: string }>(fleet.database, 'select value from app_settings');
    assert.equal(flag?.value, 'off');
  });
});
