import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TenantResult } from '../../src/core/events.js';
import type { SchemaShape } from '../../src/dialect/schema-shape.js';
import { driftLines } from '../../src/drift/describe.js';
import { type DriftDetails, withDrift } from '../../src/drift/fleet.js';
import { groupByVersion } from '../../src/drift/groups.js';
import type { FleetReport } from '../../src/fleet/report.js';

const t = (id: string, version: string | null, fingerprint: string) => ({ id, version, fingerprint });

describe('groupByVersion', () => {
  test('per version, by fingerprint: the largest group is the majority', () => {
    const versions = groupByVersion([
      t('a', 'v2', 'x'),
      t('b', 'v2', 'y'),
      t('c', 'v2', 'y'),
      t('d', 'v1', 'z'),
      t('e', 'v2', 'y'),
      t('f', null, 'w'),
    ]);
    assert.deepEqual(versions, [
      {
        version: null,
        tenants: 1,
        tie: false,
        groups: [{ group: 1, fingerprint: 'w', majority: true, tenants: ['f'] }],
      },
      {
        version: 'v1',
        tenants: 1,
        tie: false,
        groups: [{ group: 1, fingerprint: 'z', majority: true, tenants: ['d'] }],
      },
      {
        version: 'v2',
        tenants: 4,
        tie: false,
        groups: [
          { group: 1, fingerprint: 'y', majority: true, tenants: ['b', 'c', 'e'] },
          { group: 2, fingerprint: 'x', majority: false, tenants: ['a'] },
        ],
      },
    ]);
  });

  test('a tie goes to the group of the first tenant in the input, and says so', () => {
    const [v] = groupByVersion([t('a', 'v', 'x'), t('b', 'v', 'y'), t('c', 'v', 'y'), t('d', 'v', 'x')]);
    assert.equal(v?.tie, true);
    assert.deepEqual(
      v?.groups.map((g) => [g.fingerprint, g.majority]),
      [
        ['x', true],
        ['y', false],
      ],
    );
    // The same tenants in another order: the other group wins the tie.
    const [w] = groupByVersion([t('b', 'v', 'y'), t('a', 'v', 'x'), t('c', 'v', 'y'), t('d', 'v', 'x')]);
    assert.equal(w?.groups[0]?.fingerprint, 'y');
  });

  test('a fleet mixing dialects is grouped per dialect and version, not called drift', () => {
    const versions = groupByVersion([
      { ...t('pg1', 'v1', 'p'), dialect: 'postgres' },
      { ...t('lite1', 'v1', 's'), dialect: 'sqlite' },
      { ...t('pg2', 'v1', 'p'), dialect: 'postgres' },
      { ...t('lite2', 'v1', 'x'), dialect: 'sqlite' },
    ]);
    assert.deepEqual(
      versions.map((v) => [v.version, v.dialect, v.groups.map((g) => g.tenants)]),
      [
        ['v1', 'postgres', [['pg1', 'pg2']]],
        ['v1', 'sqlite', [['lite1'], ['lite2']]],
      ],
    );
    // One dialect: no dialect in the groups (the --json shape of a plain fleet is unchanged).
    const [only] = groupByVersion([{ ...t('a', 'v1', 'p'), dialect: 'postgres' }]);
    assert.equal(only?.dialect, undefined);
  });

  test('no tenant: no version', () => {
    assert.deepEqual(groupByVersion([]), []);
  });
});

const shape = (columns: string[]): SchemaShape => ({
  tables: {
    users: {
      properties: {},
      columns: columns.map((name) => ({ name, type: 'text', nullable: true, default: null })),
      indexes: [],
      constraints: [],
      triggers: [],
    },
  },
  objects: {},
});

function report(tenants: TenantResult<DriftDetails>[]): FleetReport<DriftDetails> {
  const summary = { total: tenants.length, succeeded: 0, failed: 0, skipped: 0 };
  for (const r of tenants) summary[r.status]++;
  return { command: 'drift', ok: summary.failed === 0, interrupted: false, durationMs: 1, summary, tenants };
}

const read = (id: string, fingerprint: string, version = 'v1'): TenantResult<DriftDetails> => ({
  id,
  status: 'succeeded',
  durationMs: 1,
  details: { version, fingerprint, group: null, differences: [] },
});

describe('withDrift', () => {
  const shapes = new Map([
    ['same', shape(['id', 'email'])],
    ['lacks', shape(['id'])],
  ]);

  test('outliers get their differences against the majority, the majority none; ok only without drift', () => {
    const out = withDrift(report([read('a', 'same'), read('b', 'lacks'), read('c', 'same')]), shapes);
    assert.equal(out.ok, false);
    assert.equal(out.drift.found, true);
    assert.deepEqual(
      out.tenants.map((r) => [r.id, r.details.group, r.details.differences]),
      [
        ['a', 1, []],
        ['b', 2, [{ kind: '-', object: 'column users.email', expected: 'text', found: null }]],
        ['c', 1, []],
      ],
    );
    const lines = driftLines(out);
    assert.equal(lines[0], 'drift: 1 of 3 tenants differs from the majority on their version');
    assert.ok(lines.includes('b (group 2 of v1):'));
    assert.ok(lines.includes('  - column users.email: text'));
  });

  test('no drift: ok; a tenant that could not be read is not grouped and makes the run not ok', () => {
    const clean = withDrift(report([read('a', 'same'), read('b', 'same')]), shapes);
    assert.equal(clean.ok, true);
    assert.equal(clean.drift.found, false);
    assert.match(driftLines(clean)[0]!, /^no drift: 2 tenants/);
    const failed: TenantResult<DriftDetails> = {
      id: 'x',
      status: 'failed',
      durationMs: 1,
      error: { code: 'UNREACHABLE', message: 'connection refused' },
      details: { version: null, fingerprint: null, group: null, differences: [] },
    };
    const out = withDrift(report([read('a', 'same'), failed]), shapes);
    assert.equal(out.ok, false);
    assert.equal(out.drift.found, false);
    assert.deepEqual(out.drift.versions[0]?.groups[0]?.tenants, ['a']);
    assert.equal(out.tenants[1]?.details.group, null);
  });

  test('a PostgreSQL and a SQLite tenant on one version are not drift; the lines name the dialect', () => {
    const dialects = new Map([
      ['a', 'postgres'],
      ['b', 'sqlite'],
      ['c', 'sqlite'],
    ]);
    const out = withDrift(
      report([read('a', 'same'), read('b', 'lacks'), read('c', 'same')]),
      shapes,
      dialects,
    );
    assert.equal(out.drift.found, true, 'b and c, both SQLite, still differ');
    assert.deepEqual(
      out.tenants.map((r) => [r.id, r.details.group]),
      [
        ['a', 1],
        ['b', 1],
        ['c', 2],
      ],
    );
    const lines = driftLines(out);
    assert.ok(lines.includes('v1 (postgres): 1 tenant'), lines.join('\n'));
    assert.ok(lines.includes('c (group 2 of v1 (sqlite)):'), lines.join('\n'));
    const mixedOnly = withDrift(report([read('a', 'same'), read('b', 'lacks')]), shapes, dialects);
    assert.equal(mixedOnly.drift.found, false);
    assert.equal(mixedOnly.ok, true);
  });

  test('tenants on different versions are never compared with each other', () => {
    const out = withDrift(report([read('a', 'same', 'v1'), read('b', 'lacks', 'v2')]), shapes);
    assert.equal(out.drift.found, false);
    assert.equal(out.ok, true);
  });
});
