// The report's Drift section compares schema-per-tenant and database tenants as `dbfleet drift` does:
// by the structure recorded beside each backup (names relative to the tenant's own schema), not by the
// manifests' fingerprints, whose names (and table hashes) carry the schema (`tenant_a.accounts`).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Fingerprint } from '../../src/dialect/backup-types.js';
import type { SchemaShape } from '../../src/dialect/schema-shape.js';
import { structurePrint } from '../../src/dialect/structure-print.js';
import type { StepRow } from '../../src/journal/read.js';
import { driftSection, recordedFingerprints } from '../../src/report/drift.js';
import { tenantFixture } from '../helpers/report-doc.js';

/** A manifest fingerprint as PostgreSQL writes one: qualified keys, the schema inside the hash. */
const manifestFp = (schema: string, extra: Record<string, string> = {}): Fingerprint => {
  const tables = {
    [`${schema}.accounts`]: `h-${schema}`,
    [`${schema}.knex_migrations`]: `k-${schema}`,
    ...extra,
  };
  return {
    level: 'counts',
    schemaHash: Object.values(tables).join(''),
    objects: {},
    tables: Object.fromEntries(Object.entries(tables).map(([k, h]) => [k, { schema: h, rows: 1 }])),
  };
};

const table = (columns: string[], indexes: string[] = []) => ({
  properties: {},
  columns: columns.map((name) => ({ name, type: 'integer', nullable: true, default: null })),
  indexes: indexes.map((name) => ({
    name,
    definition: `CREATE INDEX ${name} ON accounts (id)`,
    valid: true,
  })),
  constraints: [],
  triggers: [],
});
const shape = (indexes: string[] = [], history = true): SchemaShape => ({
  tables: {
    accounts: table(['id', 'score'], indexes),
    // knex's CLI and dbfleet leave different bookkeeping: drift leaves it out, so does the report.
    ...(history ? { knex_migrations: table(['id', 'name']) } : {}),
  },
  objects: {},
});

const step = (tenantId: string, name: string, data: Record<string, unknown>): StepRow => ({
  runId: 'r1',
  tenantId,
  step: name,
  status: 'succeeded',
  startedAt: 0,
  finishedAt: 1,
  durationMs: 1,
  error: null,
  data,
});

/** An upgrade's steps: the inner `backup` step that wrote the file holds the print. */
function upgraded(id: string, schema: string, s: SchemaShape): StepRow[] {
  const path = `/b/${id}/1.dump`;
  return [
    step(id, 'backup', { path, bytes: 1, sha256: 'x', structure: structurePrint(s) }),
    step(id, 'backup-pre', { path, bytes: 1, sha256: 'x', fingerprint: manifestFp(schema) }),
  ];
}

describe('report Drift section: schema tenants and database tenants', () => {
  test('two schema tenants and a database tenant of one structure are not drift; a real outlier is', async () => {
    const steps = [
      ...upgraded('db1', 'public', shape()),
      ...upgraded('shared-a', 'tenant_a', shape()),
      ...upgraded('shared-b', 'tenant_b', shape([], false)),
      ...upgraded('acme', 'public', shape(['accounts_hand_idx'])),
    ];
    const tenants = ['db1', 'shared-a', 'shared-b', 'acme'].map((id) => tenantFixture(id));
    const section = driftSection(await recordedFingerprints(tenants, steps))!;
    assert.deepEqual(
      section.outliers.map((o) => [o.tenantId, o.differences]),
      [['acme', ['~ accounts']]],
    );
    assert.deepEqual(
      section.versions.flatMap((v) => v.groups.map((g) => g.tenants)),
      [3, 1],
    );
  });

  test('a run recorded before the prints (or with one missing) compares the manifests, as before', async () => {
    const steps = [
      step('db1', 'backup-pre', { path: '/b/db1/1.dump', fingerprint: manifestFp('public') }),
      ...upgraded('shared-a', 'tenant_a', shape()),
    ];
    const section = driftSection(
      await recordedFingerprints(
        ['db1', 'shared-a'].map((id) => tenantFixture(id)),
        steps,
      ),
    )!;
    assert.deepEqual(
      section.outliers.map((o) => o.tenantId),
      ['shared-a'],
    );
  });
});
