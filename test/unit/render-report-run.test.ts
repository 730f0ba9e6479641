// Which run a bare `report` shows, and the runbook's step totals (a journal filled by run events).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Journal } from '../../src/journal/journal.js';
import { openJournalDatabase } from '../../src/journal/open.js';
import { buildFleetReport, pickRun } from '../../src/report/index.js';
import { recordRun, type TenantSpec } from '../helpers/journal-runs.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-report-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An upgraded tenant whose backup code journaled its own `backup` / `verify:light` steps inside the runbook's. */
const upgraded = (id: string, closed: boolean): TenantSpec => ({
  id,
  steps: [
    { step: 'before-tenant' },
    { step: 'backup-pre', data: { path: `/b/${id}/1.dump`, bytes: 1 } },
    { step: 'backup', data: { path: `/b/${id}/1.dump`, bytes: 1 } },
    { step: 'verify-pre', data: { verified: 'light' } },
    { step: 'verify:light', data: { verified: 'light' } },
    { step: 'migrate', data: { applied: ['m1'], current: 'm1' }, migrations: [{ name: 'm1' }] },
    ...(closed
      ? [
          {
            step: 'checks',
            status: 'failed' as const,
            error: { code: 'CHECK_FAILED' as const, message: 'no' },
          },
        ]
      : [{ step: 'backup-post', data: { path: `/b/${id}/2.dump`, bytes: 1 } }, { step: 'after-tenant' }]),
  ],
  result: closed
    ? { status: 'failed', durationMs: 5, error: { code: 'CHECK_FAILED', message: 'no' } }
    : { status: 'succeeded', durationMs: 5, details: { maintenance: 'open' } },
});

describe('report: the run it shows and its step totals', () => {
  it('with no --run: the newest upgrade run, not a verify run after it, and it says so', async () => {
    const path = join(dir, 'journal.db');
    const journal = await Journal.open(path);
    await recordRun(journal, {
      runId: 'u1',
      command: 'upgrade',
      tenants: [upgraded('a', false), upgraded('b', true)],
    });
    await recordRun(journal, {
      runId: 'v1',
      command: 'verify',
      tenants: ['a', 'b'].map((id) => ({
        id,
        steps: [{ step: 'verify:deep', data: { verified: 'deep' } }],
        result: { status: 'succeeded', durationMs: 3, details: { backup: { path: `/b/${id}/1.dump` } } },
      })),
    });
    await journal.close();
    const knex = await openJournalDatabase(path);
    try {
      const picked = await pickRun(knex);
      assert.equal(picked.run.runId, 'u1');
      assert.equal(
        picked.note,
        'showing the newest upgrade run, u1; the newest run is verify v1 — pick another with --run <id>',
      );
      assert.equal((await pickRun(knex, 'v1')).note, undefined);
      const doc = await buildFleetReport(knex);
      // Who is still in maintenance survives a later verify run.
      assert.deepEqual(doc.maintenance.stillIn, ['b']);
      // Step totals: backup-pre and backup-post, not the backup code's own `backup` step on top.
      const count = Object.fromEntries(doc.steps.map((s) => [s.step, s.count]));
      assert.equal(count['backup-pre'], 2);
      assert.equal(count['backup-post'], 1);
      assert.equal(count.backup, undefined);
      assert.equal(count['verify:light'], undefined);
      assert.equal(doc.tenants.find((t) => t.id === 'a')?.steps.length, 6);
      assert.equal(doc.tenants.find((t) => t.id === 'a')?.backup?.step, 'backup-post');
    } finally {
      await knex.destroy();
    }
  });

  it('a journal with no upgrade run shows its newest run, naming it', async () => {
    const path = join(dir, 'verify-only.db');
    const journal = await Journal.open(path);
    await recordRun(journal, {
      runId: 'b1',
      command: 'backup',
      tenants: [
        {
          id: 'a',
          steps: [{ step: 'backup', data: { path: '/b/a/1.dump' } }],
          result: { status: 'succeeded', durationMs: 1 },
        },
      ],
    });
    await journal.close();
    const knex = await openJournalDatabase(path);
    try {
      const picked = await pickRun(knex);
      assert.equal(picked.note, 'showing the newest run, backup b1 — pick another with --run <id>');
      // A backup command's own step is its step.
      const doc = await buildFleetReport(knex);
      assert.deepEqual(
        doc.steps.map((s) => s.step),
        ['backup'],
      );
    } finally {
      await knex.destroy();
    }
  });
});
