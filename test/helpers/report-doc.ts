// A hand-built report document with hostile values, for the renderers' tests.
import type { FleetDocument, TenantReport } from '../../src/report/index.js';

export const EVIL_ID = '<script>alert("pwned")</script>';
export const EVIL_ERROR = `<img src=x onerror=alert(1)> & "quotes" 'single' | pipes *stars* [link](http://evil.example)`;

export function tenantFixture(id: string, overrides: Partial<TenantReport> = {}): TenantReport {
  return {
    id,
    host: 'db1:5432',
    wave: 0,
    status: 'succeeded',
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:00:03.000Z',
    durationMs: 3000,
    error: null,
    failedStep: null,
    current: { name: '20240501_add_index', runId: 'r1', source: 'migrate-step' },
    applied: ['20240501_add_index'],
    backup: {
      path: `/backups/${id}/1.dump`,
      bytes: 5 * 1024 * 1024,
      sha256: 'ab'.repeat(32),
      takenAt: '2024-05-01T10:00:01.000Z',
      runId: 'r1',
      step: 'backup-post',
      verified: 'light',
      verifiedAt: '2024-05-01T10:00:02.000Z',
      verifyError: null,
    },
    steps: [
      {
        step: 'before-tenant',
        status: 'succeeded',
        startedAt: '2024-05-01T10:00:00.000Z',
        durationMs: 12,
        error: null,
      },
      {
        step: 'migrate',
        status: 'succeeded',
        startedAt: '2024-05-01T10:00:01.000Z',
        durationMs: 1500,
        error: null,
      },
      {
        step: 'after-tenant',
        status: 'succeeded',
        startedAt: '2024-05-01T10:00:02.900Z',
        durationMs: 8,
        error: null,
      },
    ],
    maintenance: { windowMs: 2900, since: '2024-05-01T10:00:00.000Z', stillIn: false },
    problems: [],
    ...overrides,
  };
}

/** Three tenants: a plain one, a failed one with a hostile id and error, one still in maintenance. */
export function documentFixture(): FleetDocument {
  const evilError = { code: 'MIGRATION_FAILED' as const, message: EVIL_ERROR };
  const tenants = [
    tenantFixture('acme'),
    tenantFixture(EVIL_ID, {
      host: '"><b>host</b>',
      status: 'failed',
      error: evilError,
      failedStep: 'migrate',
      steps: [
        {
          step: 'migrate',
          status: 'failed',
          startedAt: '2024-05-01T10:00:01.000Z',
          durationMs: 20,
          error: evilError,
        },
      ],
      backup: {
        ...tenantFixture('x').backup!,
        path: '/backups/<evil>/1.dump',
        verified: false,
        verifyError: EVIL_ERROR,
      },
      problems: [
        `rollback failed — needs attention: ${EVIL_ERROR}`,
        'still in maintenance since 2024-05-01 10:00:00Z',
      ],
      maintenance: { windowMs: null, since: '2024-05-01T10:00:00.000Z', stillIn: true },
    }),
    tenantFixture('globex|pipe', { current: null, backup: null, durationMs: 9000 }),
  ];
  return {
    format: 'dbfleet-report',
    version: 1,
    generatedAt: '2024-05-01T11:00:00.000Z',
    run: {
      runId: 'r1',
      command: 'upgrade',
      status: 'finished',
      startedAt: '2024-05-01T10:00:00.000Z',
      finishedAt: '2024-05-01T10:00:09.000Z',
      durationMs: 9000,
      options: null,
    },
    summary: { total: 3, succeeded: 2, failed: 1, skipped: 0, unfinished: 0, withProblems: 1 },
    versions: [
      { version: '20240501_add_index', known: true, tenants: 2 },
      { version: null, known: false, tenants: 1 },
    ],
    failures: [{ tenantId: EVIL_ID, step: 'migrate', code: 'MIGRATION_FAILED', message: EVIL_ERROR }],
    slowest: [{ tenantId: 'globex|pipe', status: 'succeeded', durationMs: 9000 }],
    maintenance: { stats: { count: 2, p50: 2900, p95: 2900, max: 2900 }, stillIn: [EVIL_ID] },
    steps: [{ step: 'migrate', count: 3, failed: 1, stats: { count: 3, p50: 1500, p95: 1500, max: 1500 } }],
    tenants,
  };
}
