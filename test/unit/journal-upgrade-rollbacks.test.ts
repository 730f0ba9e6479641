// Which tenants of which upgrade runs the journal says were rolled back since: what `restore` (latest)
// and `report --run` read. Only the first rollback run that rolled a tenant back counts (a second one
// finds it done: `alreadyRolledBack`), never one that failed, one for a tenant the run never changed
// (`unchanged`), nor a plain `rollback` of a migration batch; an upgrade's own rollback of a failed
// tenant counts, a rollback run's `rollback` steps do not count as its own.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Journal } from '../../src/journal/journal.js';
import { upgradeRollbacks } from '../../src/journal/rollbacks.js';
import { recordRun } from '../helpers/journal-runs.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-upgrade-rollbacks-'));
let journal: Journal;
after(async () => {
  await journal?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ok = (details: Record<string, unknown> = {}) => ({
  status: 'succeeded' as const,
  durationMs: 5,
  details,
});
const rollbackStep = { step: 'rollback', data: { with: 'down' } };

before(async () => {
  journal = await Journal.open(join(dir, 'journal.db'));
  await recordRun(journal, {
    runId: 'U1',
    command: 'upgrade',
    tenants: ['a', 'b', 'd', 'e'].map((id) => ({ id, result: ok() })),
  });
  await recordRun(journal, {
    runId: 'U2',
    command: 'upgrade',
    tenants: [{ id: 'g', steps: [{ step: 'migrate' }, rollbackStep], result: ok({ rolledBack: true }) }],
  });
  await recordRun(journal, {
    runId: 'R1',
    command: 'rollback',
    options: { run: 'U1', with: 'restore' },
    tenants: [
      { id: 'a', steps: [{ step: 'rollback' }], result: ok() },
      {
        id: 'd',
        steps: [{ step: 'rollback', status: 'failed' }],
        result: { status: 'failed', durationMs: 5 },
      },
      { id: 'e', result: ok({ unchanged: true }) },
    ],
  });
  await recordRun(journal, {
    runId: 'R2',
    command: 'rollback',
    options: { run: 'U1', with: 'down' },
    tenants: [
      { id: 'a', result: ok({ alreadyRolledBack: 'R1' }) },
      { id: 'b', steps: [rollbackStep], result: ok() },
    ],
  });
  await recordRun(journal, {
    runId: 'P',
    command: 'rollback',
    options: {},
    tenants: [{ id: 'a', result: ok() }],
  });
  await journal.flush();
});

const summary = (rows: Awaited<ReturnType<typeof upgradeRollbacks>>) =>
  rows
    .map((r) => `${r.upgradeRun}/${r.tenantId} by ${r.rollbackRun} with ${r.with}`)
    .sort()
    .concat(rows.every((r) => Number.isFinite(r.at) && r.at > 0) ? [] : ['a time is missing']);

test('every upgrade run, every tenant', async () => {
  assert.deepEqual(summary(await upgradeRollbacks(journal.knex)), [
    'U1/a by R1 with restore',
    'U1/b by R2 with down',
    'U2/g by U2 with down',
  ]);
});

test('one upgrade run, or some tenants', async () => {
  assert.deepEqual(summary(await upgradeRollbacks(journal.knex, { upgradeRun: 'U2' })), [
    'U2/g by U2 with down',
  ]);
  assert.deepEqual(summary(await upgradeRollbacks(journal.knex, { tenantIds: ['a', 'd', 'e', 'g'] })), [
    'U1/a by R1 with restore',
    'U2/g by U2 with down',
  ]);
  assert.deepEqual(await upgradeRollbacks(journal.knex, { tenantIds: [] }), []);
});
