// Words people read: what a column, a hint or an error says (pure parts, no database).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alreadyRolledBackHint, budgetHint, reopenHint } from '../../src/cli/render/next-steps.js';
import {
  revertedColumn,
  statusCurrentColumn,
  statusPendingColumn,
  upgradeAppliedColumn,
} from '../../src/cli/render/result-columns.js';
import type { TenantResult } from '../../src/core/events.js';
import type { DialectAdapter, TenantSession } from '../../src/dialect/types.js';
import type { FleetReport } from '../../src/fleet/report.js';
import { parseInventoryText } from '../../src/inventory/file.js';
import { runChecks } from '../../src/upgrade/run-hooks.js';

const result = (r: Partial<TenantResult>): TenantResult => ({
  id: 't1',
  status: 'succeeded',
  durationMs: 1,
  details: {},
  ...r,
});
const fleet = (tenants: TenantResult[]): FleetReport => ({
  command: 'upgrade',
  ok: false,
  runId: 'r-9',
  interrupted: false,
  durationMs: 1,
  summary: {
    total: tenants.length,
    succeeded: tenants.filter((t) => t.status === 'succeeded').length,
    failed: tenants.filter((t) => t.status === 'failed').length,
    skipped: tenants.filter((t) => t.status === 'skipped').length,
  },
  tenants,
});

describe('words', () => {
  it('a rolled-back tenant does not show its migrations as applied', () => {
    const applied = ['m1', 'm2', 'm3'];
    const column = upgradeAppliedColumn();
    assert.equal(
      column.value(result({ status: 'failed', details: { applied, rolledBack: true } })),
      '0 (3 rolled back)',
    );
    assert.equal(column.value(result({ details: { applied } })), '3');
  });

  it('a rollback reverted its migrations', () => {
    assert.equal(revertedColumn.head, 'reverted');
    assert.equal(revertedColumn.value(result({ details: { applied: ['m3', 'm2'] } })), 'm3\nm2');
  });

  it('a tenant a killed upgrade only closed had nothing to revert, and the rollback says so', () => {
    assert.equal(
      revertedColumn.value(result({ details: { applied: [], unchanged: true } })),
      'nothing (unchanged by the run)',
    );
  });

  it('status of an unreachable tenant is unknown, not "pending 0"', () => {
    const unreachable = result({
      status: 'failed',
      error: { code: 'UNREACHABLE', message: 'connection refused' },
      details: { current: null, pending: [] },
    });
    assert.equal(statusCurrentColumn.value(unreachable), 'unknown');
    assert.equal(statusPendingColumn.value(unreachable), 'unknown');
    const edited = result({
      status: 'failed',
      error: { code: 'MIGRATION_PROBLEMS', message: 'edited' },
      details: { current: 'm1', pending: ['m2'] },
    });
    assert.equal(statusCurrentColumn.value(edited), 'm1');
    assert.equal(statusPendingColumn.value(edited), '1');
  });

  it('rollback --run without --reopen says how users get back in', () => {
    const report = fleet([result({ details: { maintenance: 'closed', applied: ['m1'] } })]);
    assert.match(
      reopenHint(report, false) ?? '',
      /1 tenant\(s\) rolled back and still in maintenance\. --reopen/,
    );
    assert.equal(reopenHint(report, true), undefined);
    assert.equal(reopenHint(fleet([result({ details: { maintenance: 'open' } })]), false), undefined);
  });

  it('rollback --run says which tenants an earlier rollback of the run had rolled back already', () => {
    const report = fleet([
      result({ id: 'a', details: { applied: [], alreadyRolledBack: 'r-1' } }),
      result({ id: 'b', details: { applied: ['m1'] } }),
    ]);
    assert.equal(
      alreadyRolledBackHint(report),
      '1 tenant(s) were rolled back already, by run r-1: nothing was done to them.',
    );
    assert.equal(alreadyRolledBackHint(fleet([result({ details: { applied: ['m1'] } })])), undefined);
  });

  it('an upgrade the failure budget stopped (also on --resume) says how to go on', () => {
    const report = fleet([
      result({ id: 'a', status: 'failed', error: { code: 'CHECK_FAILED', message: 'x' } }),
      result({
        id: 'b',
        status: 'skipped',
        error: {
          code: 'NOT_STARTED',
          message: 'not started: 1 tenant(s) had failed before the resume, more than the failure budget (0)',
        },
      }),
    ]);
    const hint = budgetHint(report) ?? '';
    assert.match(hint, /dbfleet upgrade --resume r-9 --max-failures 2/);
    assert.match(hint, /dbfleet rollback --run r-9/);
    assert.equal(budgetHint(fleet([result({})])), undefined);
  });

  it('an inventory JSON syntax error names its line and column', () => {
    const text = '[\n  { "id": "a", "dialect": "sqlite", "connection": "a.db" },\n  { "id": "b", }\n]';
    assert.throws(
      () => parseInventoryText(text, 'tenants.json'),
      /tenants\.json is not valid JSON at line 3, column 16: Expected double-quoted property name/,
    );
    assert.throws(
      () => parseInventoryText('\uFEFF[\r\n{', 'x.json'),
      /x\.json is not valid JSON at line 2, column 2/,
    );
  });

  it('a failed SQL check shows the value it returned, not the row', async () => {
    const rows: Record<string, unknown>[][] = [[{ 'COUNT(*) = 0': 0 }], [], [{ ok: null }]];
    const session = {
      knex: { raw: async () => rows.shift() },
      readOnly: (fn: () => Promise<unknown>) => fn(),
    } as unknown as TenantSession;
    const adapter = { rowsOf: (r: unknown) => r } as unknown as DialectAdapter;
    const context = { tenant: { id: 't1', dialect: 'sqlite' }, runId: 'r' } as never;
    const check = (name: string) => [{ name, sql: 'SELECT 1' }];
    await assert.rejects(runChecks(check('scores'), session, adapter, context), {
      message: 'smoke check scores failed: it returned 0',
    });
    await assert.rejects(runChecks(check('rows'), session, adapter, context), {
      message: 'smoke check rows failed: it returned nothing',
    });
    await assert.rejects(runChecks(check('nulls'), session, adapter, context), {
      message: 'smoke check nulls failed: it returned null',
    });
  });
});
