// The fleet report's Drift section flagged every schema-per-tenant tenant of an upgrade as drifted
// (`- public.accounts … + tenant_a.accounts`), while `dbfleet drift` flagged only the real outlier: the
// backups' fingerprints name every table with its schema, in their keys and inside their hashes. The
// report now compares the structure each backup recorded beside it, relative to the tenant's schema.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { drift } from '../../src/index.js';
import { Journal } from '../../src/journal/journal.js';
import { buildFleetReport } from '../../src/report/index.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

const prefix = uniquePrefix('rdrift');
const [dbA, dbB, shared] = [`${prefix}_a`, `${prefix}_b`, `${prefix}_s`];
const TABLES = (s: string) => `create table ${s}.plans (id serial primary key, name text not null);
  create table ${s}.accounts (id serial primary key, plan_id int references ${s}.plans (id), name text);
  create index accounts_name_idx on ${s}.accounts (name);`;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-report-drift-'));
  await createDatabases([dbA, dbB, shared]);
  await queryDatabase(dbA, TABLES('public'));
  await queryDatabase(
    dbB,
    `${TABLES('public')} create index accounts_hand_idx on public.accounts (plan_id);`,
  );
  await queryDatabase(shared, `create schema t_a; create schema t_b; ${TABLES('t_a')} ${TABLES('t_b')}`);
  writeFileSync(
    join(dir, '20260101000000_add_score.js'),
    `export const up = (knex) => knex.schema.alterTable('accounts', (t) => { t.integer('score'); });
     export const down = (knex) => knex.schema.alterTable('accounts', (t) => { t.dropColumn('score'); });`,
  );
});

after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('report Drift section: schema tenants beside database tenants', () => {
  it('flags only the tenant `dbfleet drift` flags', async () => {
    const tenants = [
      postgresTenant('a', dbA),
      postgresTenant('b', dbB),
      postgresTenant('shared-a', shared, 't_a'),
      postgresTenant('shared-b', shared, 't_b'),
    ];
    const journal = join(dir, 'journal.db');
    const prepared = await prepareUpgrade({
      tenants,
      migrations: dir,
      backupDir: join(dir, 'backups'),
      journal,
    });
    // The pre-flight sees b's drift as `dbfleet drift` does: the run goes on past it.
    const report = await upgrade({
      ...prepared,
      preflight: { ...prepared.preflight, allowDrift: true },
      tenants,
      concurrency: 4,
      perHost: 4,
    });
    assert.equal(report.ok, true, JSON.stringify(report.tenants.map((t) => t.error)));

    const live = await drift({ tenants });
    assert.deepEqual(
      live.tenants.filter((t) => t.details.group !== 1).map((t) => t.id),
      ['b'],
    );
    const j = await Journal.open(journal);
    try {
      const doc = await buildFleetReport(j.knex, { runId: report.runId! });
      assert.deepEqual(
        doc.drift?.outliers.map((o) => [o.tenantId, o.differences]),
        [['b', ['~ public.accounts']]],
        JSON.stringify(doc.drift),
      );
    } finally {
      await j.close();
    }
  });
});
