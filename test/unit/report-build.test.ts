import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { UsageError } from '../../src/core/errors.js';
import { openJournalDatabase } from '../../src/journal/open.js';
import { TENANTS } from '../../src/journal/schema.js';
import { buildFleetReport, type FleetDocument, type TenantReport } from '../../src/report/index.js';
import { fillSampleJournal, RUNS } from '../helpers/report-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-report-'));
const path = join(dir, 'journal.db');
let knex: Knex;
let second: FleetDocument;

const tenant = (doc: FleetDocument, id: string): TenantReport => {
  const t = doc.tenants.find((x) => x.id === id);
  assert.ok(t, `tenant ${id} is in the report`);
  return t;
};
const within = (value: number | null, low: number, high: number) =>
  assert.ok(value !== null && value >= low && value < high, `${value} in [${low}, ${high})`);

describe('buildFleetReport (a SQLite journal filled by run events)', () => {
  before(async () => {
    await fillSampleJournal(path);
    knex = await openJournalDatabase(path);
    second = await buildFleetReport(knex, { runId: RUNS.second, slowest: 2, now: Date.UTC(2024, 4, 1) });
  });
  after(async () => {
    await knex?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the named run with every tenant and the summary', () => {
    assert.equal(second.run.runId, RUNS.second);
    assert.equal(second.run.command, 'upgrade');
    assert.equal(second.run.status, 'interrupted');
    assert.equal(second.generatedAt, '2024-05-01T00:00:00.000Z');
    assert.deepEqual(second.tenants.map((t) => t.id).sort(), [
      'acme',
      'globex',
      'hooli',
      'initech',
      'stark',
      'umbrella',
      'wayne',
    ]);
    assert.deepEqual(second.summary, {
      total: 7,
      succeeded: 3,
      failed: 2,
      skipped: 1,
      unfinished: 1,
      withProblems: 4,
    });
  });

  it('current version: this run, else earlier runs; a rollback keeps the earlier one; failures say nothing', () => {
    assert.deepEqual(tenant(second, 'globex').current, {
      name: 'm3',
      runId: RUNS.second,
      source: 'migrate-step',
    });
    assert.deepEqual(tenant(second, 'wayne').current, {
      name: 'm3',
      runId: RUNS.second,
      source: 'migrate-step',
    });
    // acme was rolled back by restore: still on what run 1 left.
    assert.deepEqual(tenant(second, 'acme').current, {
      name: 'm2',
      runId: RUNS.first,
      source: 'migrate-step',
    });
    // initech's migrate failed after applying m3 and the rollback failed: the migration log says m3.
    assert.deepEqual(tenant(second, 'initech').current, {
      name: 'm3',
      runId: RUNS.second,
      source: 'migration-log',
    });
    // hooli never started: the status run before says m1.
    assert.deepEqual(tenant(second, 'hooli').current, { name: 'm1', runId: RUNS.status, source: 'result' });
    // umbrella's only result is a failed status with a placeholder: unknown, not "no migrations".
    assert.equal(tenant(second, 'umbrella').current, null);
    assert.deepEqual(second.versions, [
      { version: 'm3', known: true, tenants: 4 },
      { version: 'm1', known: true, tenants: 1 },
      { version: 'm2', known: true, tenants: 1 },
      { version: null, known: false, tenants: 1 },
    ]);
  });

  it('last backup: the newest one across runs with the verdict of its own verify step', () => {
    const acme = tenant(second, 'acme').backup;
    assert.equal(acme?.path, '/b/acme/4.dump');
    assert.equal(acme?.step, 'backup-post');
    assert.equal(acme?.verified, false);
    assert.equal(acme?.verifyError, 'sha256 mismatch');
    const globex = tenant(second, 'globex').backup;
    assert.deepEqual([globex?.path, globex?.verified, globex?.bytes], ['/b/globex/4.dump', 'light', 4096]);
    assert.equal(tenant(second, 'initech').backup?.path, '/b/initech/2.dump');
    assert.equal(tenant(second, 'initech').backup?.verified, 'light');
    assert.equal(tenant(second, 'wayne').backup, null);
  });

  it('a later `verify` run re-judges the backup, but only in reports of that run or later', async () => {
    const latest = await buildFleetReport(knex, { runId: RUNS.verify });
    assert.equal(latest.run.runId, RUNS.verify);
    assert.deepEqual(
      latest.tenants.map((t) => t.id),
      ['globex', 'hooli'],
    );
    const backup = tenant(latest, 'globex').backup;
    assert.equal(backup?.path, '/b/globex/4.dump');
    assert.equal(backup?.runId, RUNS.second);
    assert.equal(backup?.verified, false);
    assert.equal(backup?.verifyError, 'checksum mismatch');
    assert.deepEqual(tenant(latest, 'globex').current?.name, 'm3');
    assert.ok(
      tenant(latest, 'globex').problems.includes('last backup failed verification: checksum mismatch'),
    );
    // A backup the journal only saw being verified: the fallback when no run took one.
    const hooli = tenant(latest, 'hooli').backup;
    assert.deepEqual(
      [hooli?.path, hooli?.takenAt, hooli?.step, hooli?.verified, hooli?.runId],
      ['/b/hooli/9.dump', null, null, 'light', RUNS.verify],
    );
    // Reporting the earlier run ignores what came after it.
    assert.equal(tenant(second, 'hooli').backup, null);
  });

  it('steps and timings of the run, failures with their step and reason', () => {
    const acme = tenant(second, 'acme');
    assert.deepEqual(
      acme.steps.map((s) => `${s.step}:${s.status}`),
      [
        'before-tenant',
        'backup-pre',
        'verify-pre',
        'migrate',
        'optimize',
        'checks',
        'backup-post',
        'verify-post',
        'rollback',
      ].map((s) => `${s}:${s === 'verify-post' ? 'failed' : 'succeeded'}`),
    );
    assert.equal(acme.steps.find((s) => s.step === 'rollback')?.durationMs, 1200);
    assert.equal(acme.failedStep, 'verify-post');
    assert.deepEqual(acme.applied, ['m3']);
    assert.deepEqual(
      second.failures.map((f) => [f.tenantId, f.step, f.code]),
      [
        ['acme', 'verify-post', 'BACKUP_UNREADABLE'],
        ['initech', 'migrate', 'ROLLBACK_FAILED'],
      ],
    );
    assert.match(second.failures[1]!.message, /ROLLBACK FAILED: pg_restore: connection refused/);
    const migrate = second.steps.find((s) => s.step === 'migrate');
    assert.deepEqual([migrate?.count, migrate?.failed, migrate?.stats.count], [5, 1, 5]);
    assert.equal(migrate?.stats.max, 300);
  });

  it('slowest tenants by duration, as many as asked', () => {
    assert.deepEqual(second.slowest, [
      { tenantId: 'initech', status: 'failed', durationMs: 9000 },
      { tenantId: 'acme', status: 'failed', durationMs: 5000 },
    ]);
  });

  it('maintenance windows (before-tenant → after-tenant) with p50/p95/max; unclosed ones are problems', () => {
    const m = second.maintenance;
    assert.equal(m.stats.count, 3); // globex 10s, stark 20s, wayne 40s; acme, initech, umbrella never reopened
    within(tenant(second, 'globex').maintenance.windowMs, 10_000, 12_000);
    within(m.stats.p50, 20_000, 22_000);
    within(m.stats.p95, 40_000, 42_000);
    assert.equal(m.stats.max, m.stats.p95);
    assert.deepEqual([...m.stillIn].sort(), ['acme', 'initech', 'umbrella']);
    assert.equal(tenant(second, 'hooli').maintenance.stillIn, false);
  });

  it('problems per tenant', () => {
    const problems = (id: string) => tenant(second, id).problems;
    assert.ok(
      problems('initech').some((p) =>
        p.startsWith('rollback failed — needs attention: pg_restore: connection refused'),
      ),
    );
    assert.ok(problems('initech').some((p) => p.startsWith('still in maintenance since ')));
    assert.ok(problems('acme').includes('rolled back to the pre-upgrade state'));
    assert.ok(problems('acme').includes('last backup failed verification: sha256 mismatch'));
    assert.deepEqual(problems('hooli'), ['skipped: not started: the canary wave failed']);
    assert.equal(tenant(second, 'umbrella').status, 'running');
    assert.ok(problems('umbrella').includes('did not finish: the run ended while it was in flight'));
    assert.ok(problems('umbrella').includes('step before-tenant was interrupted'));
    assert.equal(tenant(second, 'umbrella').steps[0]?.status, 'interrupted');
    assert.deepEqual(problems('globex'), []);
    assert.deepEqual(problems('wayne'), []);
    // stark's resumed run: the killed attempt shows, but the step finished later, so it is no problem.
    assert.deepEqual(
      tenant(second, 'stark').steps.map((s) => `${s.step}:${s.status}`),
      [
        'before-tenant:succeeded',
        'migrate:succeeded',
        'optimize:interrupted',
        'optimize:succeeded',
        'after-tenant:succeeded',
      ],
    );
    assert.deepEqual(problems('stark'), []);
  });

  it('rejects an unknown run, and an empty journal, with a UsageError (exit 2)', async () => {
    await assert.rejects(
      buildFleetReport(knex, { runId: 'nope' }),
      (err: unknown) => err instanceof UsageError && /no run nope/.test(err.message),
    );
    const empty = await openJournalDatabase(join(dir, 'empty.db'));
    try {
      await assert.rejects(
        buildFleetReport(empty),
        (err: unknown) => err instanceof UsageError && /no run yet/.test(err.message),
      );
    } finally {
      await empty.destroy();
    }
  });

  it('redacts credentials even when a journal row holds one', async () => {
    await knex(TENANTS)
      .where({ run_id: RUNS.first, tenant_id: 'initech' })
      .update({ error_message: 'cannot reach postgres://app:hunter2secret@db1/initech' });
    const doc = await buildFleetReport(knex, { runId: RUNS.first });
    const text = JSON.stringify(doc);
    assert.ok(!text.includes('hunter2secret'), text);
    assert.match(tenant(doc, 'initech').error?.message ?? '', /postgres:\/\/app:\*\*\*@db1/);
  });
});
