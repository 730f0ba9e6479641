// dbfleet against knex's own CLI on SQLite (better-sqlite3): every corpus project is migrated,
// failed and rolled back by both; the files, histories, `knex migrate:list` and what the migrations saw
// must agree. See test/helpers/conformance-run.ts for what is compared.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORPUS_CASES } from '../helpers/conformance-corpus.js';
import { type ConformanceTarget, FLEET_SIZE, runConformanceCase } from '../helpers/conformance-run.js';
import {
  sqliteKnexEnv,
  sqliteObservations,
  sqliteSnapshot,
  sqliteTenant,
} from '../helpers/conformance-sqlite.js';

let workDir: string;

const target: ConformanceTarget = {
  dialect: 'sqlite',
  async prepare(c) {
    const dir = join(workDir, 'databases', c.folder);
    mkdirSync(dir, { recursive: true });
    // knex's CLI creates its file; dbfleet's tenants are files that exist (an empty file is an empty database).
    const knexDb = join(dir, 'knex.sqlite');
    const tenantDbs = Array.from({ length: FLEET_SIZE }, (_, i) => join(dir, `tenant-${i + 1}.sqlite`));
    for (const file of tenantDbs) writeFileSync(file, '');
    return { knexDb, tenantDbs };
  },
  knexEnv: sqliteKnexEnv,
  tenant: sqliteTenant,
  snapshot: async (file, history) => sqliteSnapshot(file, history),
  observations: async (file) => sqliteObservations(file),
};

describe('knex conformance on SQLite', { concurrency: 3 }, () => {
  before(() => {
    workDir = mkdtempSync(join(tmpdir(), 'dbfleet-conformance-sqlite-'));
  });

  after(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  for (const c of CORPUS_CASES.filter((x) => x.dialects.includes('sqlite'))) {
    it(`${c.folder}: dbfleet leaves what knex's CLI leaves`, async () => {
      const differences = await runConformanceCase(target, c, workDir);
      assert.equal(differences.length, 0, `\n${differences.join('\n\n')}`);
    });
  }
});
