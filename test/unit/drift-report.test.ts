// The fleet report's Drift section: from the fingerprints a run's backups recorded (the journal's step
// data, else the backup's manifest), grouped per version.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { renderReportTable } from '../../src/cli/render/report-table.js';
import type { Fingerprint } from '../../src/dialect/backup-types.js';
import type { StepRow } from '../../src/journal/read.js';
import { driftSection, recordedFingerprints } from '../../src/report/drift.js';
import { renderReportHtml, renderReportMarkdown } from '../../src/report/index.js';
import { documentFixture, tenantFixture } from '../helpers/report-doc.js';

const fp = (tables: Record<string, string>, schemaHash = Object.values(tables).join('')): Fingerprint => ({
  level: 'counts',
  schemaHash,
  objects: {},
  tables: Object.fromEntries(Object.entries(tables).map(([k, schema]) => [k, { schema, rows: 3 }])),
});

const step = (
  tenantId: string,
  name: string,
  data: Record<string, unknown>,
  status = 'succeeded',
): StepRow => ({
  runId: 'r1',
  tenantId,
  step: name,
  status,
  startedAt: 0,
  finishedAt: 1,
  durationMs: 1,
  error: null,
  data,
});

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-drift-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('recordedFingerprints', () => {
  test('the post-migration backup first, at the version the migrate step left; else the pre one, before the run', async () => {
    const same = fp({ 'public.users': 'a' });
    const steps = [
      step('t1', 'backup-pre', { path: '/x', fingerprint: fp({ 'public.users': 'old' }) }),
      step('t1', 'migrate', { applied: ['m2'], current: 'm2' }),
      step('t1', 'backup-post', { path: '/y', fingerprint: same }),
      step('t2', 'backup-pre', { path: '/z', fingerprint: same }),
      step('t2', 'migrate', { applied: [] }, 'failed'),
    ];
    const tenants = [tenantFixture('t1', { applied: ['m2'] }), tenantFixture('t2', { applied: ['m2'] })];
    assert.deepEqual(await recordedFingerprints(tenants, steps), [
      { tenantId: 't1', version: 'm2', fingerprint: same },
      { tenantId: 't2', version: 'before m2', fingerprint: same },
    ]);
  });

  test("the backup command's step names its file: the fingerprint comes from the manifest; none, none", async () => {
    const backup = join(dir, 'b.dump');
    const manifestFingerprint = fp({ t: 'x' });
    writeFileSync(`${backup}.manifest.json`, JSON.stringify(manifest(manifestFingerprint)));
    const steps = [
      step('t1', 'backup', { path: backup }),
      step('t2', 'backup', { path: join(dir, 'gone.dump') }),
    ];
    const tenants = [tenantFixture('t1'), tenantFixture('t2')];
    assert.deepEqual(await recordedFingerprints(tenants, steps), [
      {
        tenantId: 't1',
        version: '20240501_add_index',
        fingerprint: manifestFingerprint,
        dialect: 'postgres',
      },
    ]);
  });

  // A PostgreSQL and a SQLite tenant on one version never share a schema hash: a mixed fleet's report
  // showed every tenant of the smaller dialect as drifted.
  test('a run mixing dialects is grouped per dialect and version (the backup file says which)', async () => {
    const pg = fp({ 'public.users': 'a' });
    const lite = fp({ users: 'a' });
    const steps = [
      step('p1', 'backup', { path: '/b/p1/1.dump', fingerprint: pg }),
      step('p2', 'backup', { path: '/b/p2/1.dump', fingerprint: pg }),
      step('s1', 'backup', { path: '/b/s1/1.sqlite', fingerprint: lite }),
    ];
    const recorded = await recordedFingerprints(
      ['p1', 'p2', 's1'].map((id) => tenantFixture(id)),
      steps,
    );
    assert.deepEqual(
      recorded.map((r) => r.dialect),
      ['postgres', 'postgres', 'sqlite'],
    );
    const section = driftSection(recorded)!;
    assert.deepEqual(section.outliers, []);
    assert.deepEqual(
      section.versions.map((v) => [v.dialect, v.tenants]),
      [
        ['postgres', 2],
        ['sqlite', 1],
      ],
    );
    assert.match(
      renderReportMarkdown({ ...documentFixture(), drift: section }),
      /\| 20240501\\_add\\_index \(sqlite\) \| 1 \|/,
    );
  });
});

function manifest(fingerprint: Fingerprint) {
  return {
    format: 'dbfleet-backup',
    version: 1,
    tenant: 't1',
    dialect: 'postgres',
    database: 'd',
    file: 'b.dump',
    server_version: '15',
    tool: 'pg_dump',
    tool_version: '15',
    bytes: 1,
    sha256: 'ab'.repeat(32),
    created_at: '2024-05-01T10:00:00.000Z',
    duration_ms: 1,
    fingerprint,
    verification: null,
  };
}

describe('driftSection', () => {
  const a = fp({ 'public.users': 'a', 'public.orders': 'o' });
  const b = fp({ 'public.users': 'b', 'public.orders': 'o', 'public.extra': 'e' });
  const recorded = [
    { tenantId: 't1', version: 'v2', fingerprint: a },
    { tenantId: 't2', version: 'v2', fingerprint: b },
    {
      tenantId: 't3',
      version: 'v2',
      fingerprint: { ...a, tables: { ...a.tables, 'public.users': { schema: 'a', rows: 99 } } },
    },
    { tenantId: 't4', version: 'v1', fingerprint: b },
  ];

  test('groups per version; an outlier lists the tables whose structure differs (not row counts)', () => {
    const section = driftSection(recorded)!;
    assert.equal(section.tenants, 4);
    assert.deepEqual(
      section.versions.map((v) => [v.version, v.groups.map((g) => [g.tenants, g.majority])]),
      [
        ['v1', [[1, true]]],
        [
          'v2',
          [
            [2, true],
            [1, false],
          ],
        ],
      ],
    );
    assert.deepEqual(section.outliers, [
      {
        tenantId: 't2',
        version: 'v2',
        schemaHash: b.schemaHash,
        expected: a.schemaHash,
        differences: ['+ public.extra', '~ public.users'],
      },
    ]);
    assert.equal(driftSection([]), undefined);
  });

  test('the renderers show the section only when there is one', () => {
    const doc = documentFixture();
    assert.doesNotMatch(renderReportMarkdown(doc), /## Drift/);
    assert.doesNotMatch(renderReportHtml(doc), /Drift/);
    const withDrift = { ...doc, drift: driftSection(recorded)! };
    const md = renderReportMarkdown(withDrift);
    assert.match(md, /## Drift \(1\)/);
    assert.match(md, /\| t2 \| v2 \| /);
    assert.match(md, /\+ public\.extra<br>\\~ public\.users/);
    assert.match(md, /has drifted \(`dbfleet drift` says how\)/);
    const html = renderReportHtml(withDrift);
    assert.match(html, /<h2>Drift \(1\)<\/h2>/);
    assert.match(html, /<table id="drift">/);
  });

  test('the terminal table shows it too, fitted to the width; none when every version agrees', () => {
    const doc = documentFixture();
    assert.doesNotMatch(renderReportTable(doc, { width: 100 }), /Drift/);
    const text = renderReportTable({ ...doc, drift: driftSection(recorded)! }, { width: 100 });
    assert.match(text, /Drift: 1 tenant\(s\) among 4 fingerprinted/);
    const row = text.split('\n').find((l) => l.includes('│ t2 '));
    assert.ok(row?.includes(b.schemaHash.slice(0, 12)) && row.includes(a.schemaHash.slice(0, 12)), row);
    assert.match(text, /\+ public\.extra/);
    assert.match(text, /~ public\.users/);
    for (const line of text.split('\n')) assert.ok(line.length <= 100, `wider than 100: ${line}`);
    const agreeing = driftSection(recorded.filter((r) => r.tenantId !== 't2'))!;
    assert.match(renderReportTable({ ...doc, drift: agreeing }, { width: 100 }), /Drift: none among 3/);
  });
});
