import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderProgress } from '../../src/cli/render/progress.js';
import { foldProgress, initialProgress } from '../../src/cli/render/progress-state.js';
import type { FleetEvent } from '../../src/core/events.js';

const t0 = 1_000_000;
const events: FleetEvent[] = [
  { type: 'run:start', command: 'upgrade', total: 4, at: t0 },
  { type: 'wave:start', wave: 1, label: 'canary: canary', tenantIds: ['a', 'b'] },
  { type: 'tenant:start', tenantId: 'a', host: 'h1', at: t0 },
  { type: 'tenant:start', tenantId: 'b', host: 'h1', at: t0 },
  { type: 'tenant:start', tenantId: 'c', host: 'h2', at: t0 },
  { type: 'step:start', tenantId: 'a', step: 'migrate', at: t0 },
  { type: 'migration:start', tenantId: 'a', name: '002_add_locale.ts' },
  { type: 'step:start', tenantId: 'b', step: 'migrate', at: t0 },
  { type: 'step:start', tenantId: 'c', step: 'backup-pre', at: t0 },
  { type: 'host:throttled', host: 'postgres://h3:5432', reason: 'probe returned 80 > max 50' },
  { type: 'tenant:done', tenantId: 'b', result: { id: 'b', status: 'failed', durationMs: 5, details: {} } },
];

test('the live view folds the events: counts, wave, steps in flight, running tenants, throttled hosts', () => {
  const state = initialProgress();
  for (const e of events) foldProgress(state, e);
  const text = renderProgress(state, t0 + 2000);
  assert.match(text, /upgrade · wave 1 \(canary: canary\)/);
  assert.match(text, /1\/4/);
  assert.match(text, /✖ 1/);
  assert.match(text, /steps: migrate 1 · backup-pre 1/);
  assert.match(text, /a \(002_add_locale\.ts\)/);
  assert.match(text, /c \(backup-pre\)/);
  assert.doesNotMatch(text, /\bb \(/, 'a finished tenant is no longer running');
  assert.match(text, /throttled: postgres:\/\/h3:5432 — probe returned 80 > max 50/);
});

test('a host that resumes leaves the throttled list', () => {
  const state = initialProgress();
  for (const e of events) foldProgress(state, e);
  foldProgress(state, { type: 'host:resumed', host: 'postgres://h3:5432' });
  assert.doesNotMatch(renderProgress(state, t0 + 2000), /throttled/);
});
