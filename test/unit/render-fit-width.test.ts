// Tables fit the terminal: the pure width fitting, and the tables drawn with it, at 80/120/160/200 columns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drawTable, errorColumn } from '../../src/cli/render/draw-table.js';
import {
  displayWidth,
  type FitColumn,
  fitCell,
  fitTable,
  fitWidths,
  stripAnsi,
  tableOverhead,
  terminalWidth,
} from '../../src/cli/render/fit-width.js';
import { renderReportTable } from '../../src/cli/render/report-table.js';
import { upgradeColumns } from '../../src/cli/render/result-columns.js';
import { renderTable } from '../../src/cli/render/table.js';
import type { TenantResult } from '../../src/core/events.js';
import type { FleetReport } from '../../src/fleet/report.js';
import type { FleetDocument, TenantReport } from '../../src/report/types.js';
import type { UpgradeDetails } from '../../src/upgrade/types.js';

const WIDTHS = [80, 120, 160, 200];
const LONG_ID = 'acme-corporation-emea-production-tenant-with-a-very-long-identifier-0042';
const LONG_MESSAGE =
  'smoke check 030_scores_in_range failed: it returned 0 — rolled back to the pre-upgrade state; the tenant stays in maintenance until someone looks at it and runs the afterTenant hook';
const STEPS = [
  'before-tenant',
  'backup-pre',
  'verify-pre',
  'migrate',
  'optimize',
  'checks',
  'backup-post',
  'verify-post',
  'after-tenant',
];

const widest = (text: string) => Math.max(...stripAnsi(text).split('\n').map(displayWidth));

function result(i: number): TenantResult {
  const failed = i % 3 === 0;
  return {
    id: i === 0 ? LONG_ID : `tenant-${i}`,
    status: failed ? 'failed' : 'succeeded',
    durationMs: 1234 * i,
    ...(failed ? { error: { code: 'CHECK_FAILED', message: `${LONG_MESSAGE} (${i})` } } : {}),
    details: { steps: Object.fromEntries(STEPS.map((s) => [s, `${s} ok 12ms`])) },
  };
}

const report: FleetReport = {
  command: 'upgrade',
  ok: false,
  runId: 'r1',
  interrupted: false,
  durationMs: 5000,
  summary: { total: 7, succeeded: 4, failed: 3, skipped: 0 },
  tenants: Array.from({ length: 7 }, (_, i) => result(i)),
};
// Many step columns: one per runbook step.
const stepColumns = STEPS.map((step) => ({
  head: step,
  value: (r: TenantResult) => String((r.details.steps as Record<string, string>)[step]),
}));

describe('fitWidths (pure)', () => {
  it('keeps natural widths when they fit', () => {
    assert.deepEqual(fitWidths([5, 10, 20], [[4, 4, 4]], 40), [5, 10, 20]);
  });

  it('shrinks the widest columns first, to one shared cap', () => {
    // 5 and 10 stay; 30 and 40 share the 25 left over.
    assert.deepEqual(fitWidths([5, 10, 30, 40], [[4, 4, 4, 4]], 40), [5, 10, 12, 12]);
  });

  it('gives up floors tier by tier, and fits whenever each column can have one character', () => {
    assert.deepEqual(
      fitWidths(
        [20, 20],
        [
          [15, 15],
          [15, 1],
        ],
        20,
      ),
      [15, 5],
    );
    assert.ok(fitWidths([20, 20, 20], [[15, 15, 15]], 3).every((w) => w === 1));
  });
});

describe('fitCell (pure)', () => {
  it('wraps at spaces, breaks a word longer than the line, and cuts with … after maxLines', () => {
    assert.equal(fitCell('aaa bbb ccc', 7), 'aaa bbb\nccc');
    assert.equal(fitCell('abcdefghij', 4), 'abcd\nefgh\nij');
    const cut = fitCell(LONG_MESSAGE, 20, 2).split('\n');
    assert.equal(cut.length, 2);
    assert.ok(cut[1]!.endsWith('…'));
    assert.ok(cut.every((l) => displayWidth(l) <= 20));
  });
});

describe('tables fit 80, 120, 160 and 200 columns', () => {
  for (const width of WIDTHS) {
    it(`the command table at ${width}: long ids, long errors, nine step columns`, () => {
      const text = renderTable(report, stepColumns, width);
      const table = text.split('\n').filter((l) => /^[│┌├└]/.test(l));
      assert.ok(table.length > 0);
      for (const line of table)
        assert.ok(displayWidth(stripAnsi(line)) <= width, `${displayWidth(line)} > ${width}: ${line}`);
      // The error column keeps its meaning: the code is whole on the message's first line.
      assert.match(text, /│ CHECK_FAILED:/);
    });

    it(`the report table at ${width}`, () => {
      const lines = renderReportTable(sampleDocument(), { width }).split('\n');
      for (const line of lines.filter((l) => /^[│┌├└]/.test(l)))
        assert.ok(displayWidth(line) <= width, `${displayWidth(line)} > ${width}: ${line}`);
    });
  }

  it("at 80 columns an upgrade's ids and statuses stay whole: its steps column gives way, and the table says so", () => {
    // The demo's table, piped (80 columns): it printed "tenant-b / roken" and "succeede / d".
    const steps = (failedAt?: string) =>
      ['before-tenant', 'backup-pre', 'verify-pre', 'migrate', 'optimize', 'checks'].map((step) => ({
        step,
        status: step === failedAt ? 'failed' : 'succeeded',
        durationMs: 10,
      }));
    const upgrade: FleetReport<UpgradeDetails> = {
      ...report,
      tenants: [
        {
          id: 'tenant-broken',
          status: 'failed',
          durationMs: 1300,
          error: { code: 'CHECK_FAILED', message: LONG_MESSAGE },
          details: {
            applied: ['a', 'b', 'c'],
            rolledBack: true,
            maintenance: 'closed',
            steps: steps('checks'),
            backups: {},
          },
        },
        ...['tenant-01', 'tenant-02'].map((id) => ({
          id,
          status: 'succeeded' as const,
          durationMs: 982,
          details: { applied: ['a', 'b', 'c'], maintenance: 'open' as const, steps: steps(), backups: {} },
        })),
      ],
    };
    const text = renderTable(upgrade, upgradeColumns('migrations'), 80);
    for (const whole of [
      '│ tenant-broken │',
      '│ tenant-01 ',
      '│ failed ',
      '│ succeeded │',
      '│ CHECK_FAILED:',
      '│ migrations ',
    ])
      assert.ok(text.includes(whole), `${whole} is not whole:\n${text}`);
    assert.match(text, /not shown at this width: steps/);
    for (const line of text.split('\n').filter((l) => /^[│┌├└]/.test(l)))
      assert.ok(displayWidth(line) <= 80, line);
    // A wider terminal shows the steps.
    assert.match(renderTable(upgrade, upgradeColumns('migrations'), 120), /│ failed at checks ·/);
  });

  it('at 200 columns nothing is cut; at 80 the message is cut with … but its code stays whole', () => {
    const wide = renderTable(report, [], 200);
    assert.ok(!wide.includes('…'), wide);
    const narrow = fitTable(
      [
        { head: 'tenant', cells: ['t1'] },
        errorColumn('error', [{ code: 'CHECK_FAILED', message: LONG_MESSAGE }]),
      ],
      30,
    );
    assert.ok(narrow.rows[0]![1]!.startsWith('CHECK_FAILED:'), narrow.rows[0]![1]);
    assert.ok(narrow.rows[0]![1]!.endsWith('…'));
    assert.equal(narrow.rows[0]![1]!.split('\n').length, 3);
  });

  it('an optional column gives way before the others are squeezed, and the table says so', () => {
    const columns: FitColumn[] = [
      { head: 'tenant', cells: ['tenant-1'], minWidth: 20 },
      { head: 'steps', cells: ['nine of nine passed'], optional: true },
      { head: 'problems', cells: [LONG_MESSAGE], minWidth: 30 },
    ];
    const fitted = fitTable(columns, 50);
    assert.deepEqual(fitted.hidden, ['steps']);
    assert.ok(fitted.widths.reduce((a, b) => a + b) + tableOverhead(2) <= 50);
    assert.match(drawTable(columns, 50), /not shown at this width: steps/);
    assert.deepEqual(fitTable(columns, 200).hidden, []);
  });

  it('a table with long cells takes the width it is given, borders included, and no more', () => {
    const text = drawTable(
      [{ head: 'a', cells: [LONG_ID] }, errorColumn('error', [{ code: 'X', message: LONG_MESSAGE }])],
      80,
    );
    assert.ok(widest(text) <= 80 && widest(text) >= 78, String(widest(text)));
  });

  it('the width is the terminal’s, or 80 when stdout is piped', () => {
    assert.equal(terminalWidth({ isTTY: true, columns: 132 }), 132);
    assert.equal(terminalWidth({ isTTY: false, columns: 132 }), 80);
    assert.equal(terminalWidth({}), 80);
  });
});

function sampleDocument(): FleetDocument {
  const tenant = (id: string, failed: boolean): TenantReport => ({
    id,
    host: 'db1:5432',
    wave: 0,
    status: failed ? 'failed' : 'succeeded',
    startedAt: null,
    finishedAt: null,
    durationMs: 1500,
    error: failed ? { code: 'CHECK_FAILED', message: LONG_MESSAGE } : null,
    failedStep: failed ? 'checks' : null,
    current: { name: '20240203000000_add_course_archived_at.ts', runId: 'r1', source: 'migrate-step' },
    applied: [],
    backup: {
      path: `/var/backups/dbfleet/${id}/20261204T161447744Z.dump`,
      bytes: 123456,
      sha256: null,
      takenAt: '2026-12-04T16:14:47.000Z',
      runId: 'r1',
      step: 'backup-post',
      verified: 'light',
      verifiedAt: null,
      verifyError: null,
    },
    steps: [],
    maintenance: { windowMs: failed ? null : 900, since: null, stillIn: failed },
    problems: failed
      ? ['rolled back to the pre-upgrade state', 'still in maintenance since 2026-12-04 16:14:47Z']
      : [],
  });
  const stats = { count: 1, p50: 900, p95: 900, max: 900 };
  return {
    format: 'dbfleet-report',
    version: 1,
    generatedAt: '2026-12-04T16:20:00.000Z',
    run: {
      runId: 'r1',
      command: 'upgrade',
      status: 'finished',
      startedAt: '2026-12-04T16:14:00.000Z',
      finishedAt: null,
      durationMs: null,
      options: null,
    },
    summary: { total: 2, succeeded: 1, failed: 1, skipped: 0, unfinished: 0, withProblems: 1 },
    versions: [{ version: '20240203000000_add_course_archived_at.ts', known: true, tenants: 2 }],
    failures: [{ tenantId: LONG_ID, step: 'checks', code: 'CHECK_FAILED', message: LONG_MESSAGE }],
    slowest: [{ tenantId: LONG_ID, status: 'failed', durationMs: 1500 }],
    maintenance: { stats, stillIn: [LONG_ID] },
    steps: STEPS.map((step) => ({ step, count: 2, failed: 0, stats })),
    tenants: [tenant(LONG_ID, true), tenant('tenant-2', false)],
  };
}
