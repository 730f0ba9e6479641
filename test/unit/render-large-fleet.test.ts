// A fleet of thousands does not print a row per success: the table lists who failed or was skipped and
// the slowest successes, and says where the rest is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTable } from '../../src/cli/render/table.js';
import type { TenantResult } from '../../src/core/events.js';
import type { FleetReport } from '../../src/fleet/report.js';

function fleetOf(n: number, failed: readonly number[]): FleetReport {
  const tenants: TenantResult[] = Array.from({ length: n }, (_, i) => ({
    id: `t${String(i).padStart(5, '0')}`,
    status: failed.includes(i) ? 'failed' : 'succeeded',
    durationMs: 100 + i, // the last tenants are the slowest
    details: {},
    ...(failed.includes(i) ? { error: { code: 'MIGRATION_FAILED', message: 'boom' } } : {}),
  }));
  return {
    command: 'migrate',
    ok: failed.length === 0,
    summary: { total: n, succeeded: n - failed.length, failed: failed.length, skipped: 0 },
    tenants,
    durationMs: 1000,
  } as FleetReport;
}

const rowsOf = (text: string) => [...text.matchAll(/│ (t\d{5}) /g)].map((m) => m[1]);

describe('the final table of a large fleet', () => {
  it('10,000 tenants: the failed ones, then the ten slowest successes, and a count of the rest', () => {
    const text = renderTable(fleetOf(10_000, [3, 7]), [], 120);
    assert.deepEqual(rowsOf(text), [
      't00003',
      't00007',
      ...Array.from({ length: 10 }, (_, i) => `t${String(9999 - i).padStart(5, '0')}`),
    ]);
    assert.match(
      text,
      /… and 9988 more succeeded \(the 10 slowest are shown\); every tenant: --json, or dbfleet report/,
    );
    assert.match(text, /migrate: 10000 tenant\(s\) — 9998 succeeded, 2 failed/);
  });

  it('a small fleet still lists every tenant', () => {
    const text = renderTable(fleetOf(20, []), [], 120);
    assert.equal(rowsOf(text).length, 20);
    assert.doesNotMatch(text, /more succeeded/);
  });

  // At 80 columns (piped) the columns shared one cap: ids and statuses broke mid-word ("tenant-1│91",
  // "succeede│d") while the other columns took the room. They stay whole now; the others wrap.
  it('at 80 columns the tenant ids, statuses and times stay whole; the other columns wrap', () => {
    const report = fleetOf(300, [191]);
    for (const t of report.tenants) t.id = `tenant-${Number(t.id.slice(1))}`;
    report.tenants[191]!.error = {
      code: 'CHECK_FAILED',
      message: 'checks: smoke check no_negative_grades failed: it returned false — rolled back',
    };
    const column = (head: string, text: string) => ({ head, value: () => text });
    const text = renderTable(
      report,
      [
        column('applied', '9 (… 20240203000000_add_course_archived_at.ts)'),
        column('backups', '/srv/dbfleet/backups/tenant-191/20261206T222611Z.sqlite'),
        column('users', 'closed'),
      ],
      80,
    );
    assert.match(text, /│ tenant-191 +│ failed +│ 291ms │/);
    assert.match(text, /│ tenant-299 +│ succeeded │ 399ms │/);
    for (const line of text.split('\n').filter((l) => l.startsWith('│')))
      assert.ok([...line].length <= 80, line);
  });

  // status on 300 tenants listed the ten slowest reads and hid the one tenant that is behind.
  it('a success with pending migrations is shown with the failures, and the count line says so', () => {
    const report = fleetOf(300, []);
    for (const t of report.tenants) t.details = { current: 'm9', pending: [] };
    report.tenants[42]!.details = { current: 'm6', pending: ['m7', 'm8', 'm9'] };
    const text = renderTable(report, [], 120);
    assert.equal(rowsOf(text)[0], 't00042');
    assert.equal(rowsOf(text).length, 11);
    assert.match(
      text,
      /… and 289 more succeeded \(the 1 with pending migrations and the 10 slowest of the rest are shown\)/,
    );
  });
});
