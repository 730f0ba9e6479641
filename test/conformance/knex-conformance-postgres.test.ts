// dbfleet against knex's own CLI on PostgreSQL: every corpus project is migrated, failed and
// rolled back by both; the databases, histories, `knex migrate:list` and what the migrations saw must
// agree. See test/helpers/conformance-run.ts for what is compared.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORPUS_CASES } from '../helpers/conformance-corpus.js';
import {
  createDatabaseSql,
  dropDatabaseSql,
  onAdmin,
  PG_PASSWORD,
  postgresKnexEnv,
  postgresObservations,
  postgresSnapshot,
  postgresTenant,
  queryIn,
} from '../helpers/conformance-postgres.js';
import { type ConformanceTarget, FLEET_SIZE, runConformanceCase } from '../helpers/conformance-run.js';
import { adminQuery, dropDatabases, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('conf');
let workDir: string;

const target: ConformanceTarget = {
  dialect: 'postgres',
  async prepare(c) {
    const base = `${prefix}_${c.folder.replace(/-/g, '_')}`;
    const knexDb = `${base}_knex`;
    const tenantDbs = Array.from({ length: FLEET_SIZE }, (_, i) => `${base}_t${i + 1}`);
    await onAdmin([knexDb, ...tenantDbs].map(createDatabaseSql));
    if (c.postgresSetup) await Promise.all([knexDb, ...tenantDbs].map((db) => queryIn(db, c.postgresSetup!)));
    return { knexDb, tenantDbs };
  },
  knexEnv: postgresKnexEnv,
  tenant: postgresTenant,
  snapshot: postgresSnapshot,
  observations: postgresObservations,
  secret: PG_PASSWORD,
};

describe('knex conformance on PostgreSQL', { concurrency: 3 }, () => {
  before(() => {
    workDir = mkdtempSync(join(tmpdir(), 'dbfleet-conformance-pg-'));
  });

  after(async () => {
    const rows = await adminQuery<{ datname: string }>(
      'select datname from pg_database where starts_with(datname, $1)',
      [prefix],
    );
    await onAdmin(rows.map((r) => dropDatabaseSql(r.datname)));
    await dropDatabases(prefix);
    rmSync(workDir, { recursive: true, force: true });
  });

  for (const c of CORPUS_CASES.filter((x) => x.dialects.includes('postgres'))) {
    it(`${c.folder}: dbfleet leaves what knex's CLI leaves`, async () => {
      const differences = await runConformanceCase(target, c, workDir);
      assert.equal(differences.length, 0, `\n${differences.join('\n\n')}`);
    });
  }
});
