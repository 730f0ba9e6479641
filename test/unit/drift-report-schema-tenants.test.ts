// The report's Drift section flagged every schema-per-tenant tenant as drifted: it compared the manifests'
// fingerprints, whose names (and table hashes) carry the tenant's schema (`tenant_a.accounts`). A schema
// tenant's backup now records its structure as `dbfleet drift` reads it (names relative to its schema) and
// schema tenants are compared by that, among themselves; database tenants still by their manifests.
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

/** An upgrade's steps: the inner `backup` step that wrote the file holds a schema tenant's print. */
function upgraded(
  id: string,
  schema: string,
  s?: SchemaShape,
  extra: Record<string, string> = {},
): StepRow[] {
  const path = `/b/${id}/1.dump`;
  return [
    step(id, 'backup', { path, bytes: 1, sha256: 'x', ...(s ? { structure: structurePrint(s) } : {}) }),
    step(id, 'backup-pre', { path, bytes: 1, sha256: 'x', fingerprint: manifestFp(schema, extra) }),
  ];
}

describe('report Drift section: schema tenants and database tenants', () => {
  test('schema tenants of one structure are not drift; the real outliers of each kind are', async () => {
    const steps = [
      ...upgraded('db1', 'public'),
      ...upgraded('db2', 'public'),
      ...upgraded('acme', 'public', undefined, { 'public.hand': 'h-hand' }),
      ...upgraded('shared-a', 'tenant_a', shape()),
      ...upgraded('shared-b', 'tenant_b', shape([], false)),
      ...upgraded('shared-c', 'tenant_c', shape(['accounts_hand_idx'])),
    ];
    const ids = ['db1', 'db2', 'acme', 'shared-a', 'shared-b', 'shared-c'];
    const section = driftSection(
      await recordedFingerprints(
        ids.map((id) => tenantFixture(id)),
        steps,
      ),
    )!;
    assert.deepEqual(
      section.outliers.map((o) => [o.tenantId, o.differences]),
      [
        ['acme', ['+ public.hand']],
        ['shared-c', ['~ accounts']],
      ],
    );
    assert.deepEqual(
      section.versions.map((v) => [v.dialect, v.groups.map((g) => g.tenants)]),
      [
        ['postgres', [2, 1]],
        ['postgres, schema tenants', [2, 1]],
      ],
    );
  });

  test('a schema tenant is never compared with a database tenant', async () => {
    const steps = [...upgraded('db1', 'public'), ...upgraded('shared-a', 'tenant_a', shape())];
    const section = driftSection(
      await recordedFingerprints(
        ['db1', 'shared-a'].map((id) => tenantFixture(id)),
        steps,
      ),
    )!;
    assert.deepEqual(section.outliers, []);
  });
});
