// A hook or smoke check function that never settles (an HTTP call to the app that hangs, a promise
// nobody resolves) held its tenant — closed to its users — and the run for ever: `upgrade` never returned.
// Now each is bounded by the statement timeout; the tenant fails, its session is closed under the
// function, and what the function tries later cannot reach the database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import type { UpgradeDetails } from '../../src/upgrade/types.js';
import {
  countGrades,
  createGradesTenant,
  type GradesTenant,
  removeGradesTenant,
  upgradeGradesTenant,
} from '../helpers/grades-tenant.js';
import { queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('hook_timeout');
const STATEMENT_TIMEOUT_MS = 1500;
// Without the bound these tests would hang; the runner's cut-off turns that into a failure.
const HANGS_WITHOUT_THE_FIX = { timeout: 60_000 };
let fleet: GradesTenant;

const upgradeWith = (label: string, setup: { checks?: unknown; hooks?: unknown }) =>
  upgradeGradesTenant(fleet, label, setup, { timeouts: { statementTimeoutMs: STATEMENT_TIMEOUT_MS } });

async function count(sql: string): Promise<number> {
  const [row] = await queryDatabase<{ n: string }>(fleet.database, sql);
  return Number(row!.n);
}

const flagsTables = () =>
  count("select count(*) as n from pg_tables where schemaname = 'public' and tablename = 'flags'");

before(async () => {
  fleet = await createGradesTenant(prefix, 'school-9');
});

after(() => removeGradesTenant(fleet, prefix));

describe('a hook or smoke check function that does not finish (PostgreSQL)', () => {
  test(
    'beforeTenant: the tenant fails, nothing is migrated, and its later write cannot land',
    HANGS_WITHOUT_THE_FIX,
    async () => {
      let lateWrite: string | undefined;
      const beforeTenant = async (knex: Knex) => {
        await knex.raw('select 1');
        await sleep(STATEMENT_TIMEOUT_MS + 1500);
        try {
          await knex('grades').del();
          lateWrite = 'landed';
        } catch (err) {
          lateWrite = `refused: ${(err as Error).message}`;
        }
      };
      const tenant = await upgradeWith('before', { hooks: { beforeTenant } });
      assert.equal(tenant.status, 'failed');
      assert.equal(tenant.error?.code, 'STATEMENT_TIMEOUT');
      assert.match(
        tenant.error!.message,
        /^before-tenant: the hook did not finish within 1\.5s \(the statement timeout\)/,
      );
      assert.equal(await flagsTables(), 0, 'nothing was migrated');
      // The abandoned hook wakes up after the run and tries to delete every row.
      await sleep(STATEMENT_TIMEOUT_MS + 1000);
      assert.match(String(lateWrite), /^refused/);
      assert.equal(await countGrades(fleet), 10);
    },
  );

  test(
    'a check that opened a transaction and hangs: the tenant fails its checks and is rolled back',
    HANGS_WITHOUT_THE_FIX,
    async () => {
      const run = (knex: Knex) =>
        knex.transaction(async (trx) => {
          await trx.raw('select count(*) from grades');
          await new Promise(() => {});
        });
      const tenant = await upgradeWith('check', { checks: [{ name: 'stuck', run }] });
      assert.equal(tenant.status, 'failed');
      assert.equal(tenant.error?.code, 'CHECK_FAILED');
      assert.match(tenant.error!.message, /smoke check stuck failed: it did not finish within 1\.5s/);
      assert.equal((tenant.details as UpgradeDetails).rolledBack, true, JSON.stringify(tenant.details));
      assert.equal(await flagsTables(), 0, 'the restore put the pre-upgrade schema back');
      assert.equal(await countGrades(fleet), 10);
      // No session of the run is left on the database (the stuck transaction's went with it).
      const others = await count(
        'select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      assert.equal(others, 0);
    },
  );
});
