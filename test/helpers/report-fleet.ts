// A journal with four runs of a small fleet, covering what the report must read (see report-build.test.ts).
import { Journal } from '../../src/journal/journal.js';
import { recordRun, type StepSpec, type TenantSpec } from './journal-runs.js';

export const RUNS = {
  status: 'r0-status',
  first: 'r1-upgrade',
  second: 'r2-upgrade',
  verify: 'r3-verify',
} as const;

const backup = (path: string, bytes = 2048) => ({
  path,
  bytes,
  sha256: `sha-${path}`,
  fingerprint: { tables: {} },
});
const ok = (step: string, data?: Record<string, unknown>, extra: Partial<StepSpec> = {}): StepSpec => ({
  step,
  ...(data ? { data } : {}),
  ...extra,
});
const migrate = (applied: string[], current: string | null): StepSpec => ({
  step: 'migrate',
  data: { applied, current },
  migrations: applied.map((name) => ({ name })),
});
const upgradeDetails = (extra: Record<string, unknown> = {}) => ({
  steps: [],
  applied: [],
  backups: {},
  maintenance: 'open',
  ...extra,
});

/** A whole successful runbook with hooks; `windowMs` back-dates before-tenant to open the window earlier. */
function fullRunbook(
  id: string,
  n: number,
  applied: string[],
  current: string,
  windowMs: number,
): TenantSpec {
  return {
    id,
    steps: [
      ok('before-tenant', undefined, { at: Date.now() - windowMs }),
      ok('backup-pre', backup(`/b/${id}/${n}.dump`)),
      ok('verify-pre', { verified: 'light' }),
      migrate(applied, current),
      ok('optimize', { optimizations: [] }),
      ok('checks', { passed: 1 }),
      ok('backup-post', backup(`/b/${id}/${n + 1}.dump`, 4096)),
      ok('verify-post', { verified: 'light' }),
      ok('after-tenant'),
    ],
    result: { status: 'succeeded', durationMs: 3000, details: upgradeDetails() },
  };
}

export async function fillSampleJournal(path: string): Promise<void> {
  const journal = await Journal.open(path);
  try {
    await recordRun(journal, {
      runId: RUNS.status,
      command: 'status',
      tenants: [
        {
          id: 'hooli',
          result: {
            status: 'succeeded',
            durationMs: 40,
            details: { current: 'm1', pending: ['m2'], problems: [] },
          },
        },
        // A failed status result carries a placeholder `current: null`: not a version.
        {
          id: 'umbrella',
          result: {
            status: 'failed',
            durationMs: 40,
            error: { code: 'UNREACHABLE', message: 'refused' },
            details: { current: null },
          },
        },
      ],
    });
    await recordRun(journal, {
      runId: RUNS.first,
      command: 'upgrade',
      tenants: [
        fullRunbook('acme', 1, ['m1', 'm2'], 'm2', 0),
        fullRunbook('globex', 1, ['m1', 'm2'], 'm2', 0),
        {
          id: 'initech',
          steps: [
            ok('backup-pre', backup('/b/initech/1.dump')),
            {
              step: 'verify-pre',
              status: 'failed',
              error: { code: 'BACKUP_UNREADABLE', message: 'archive truncated' },
            },
          ],
          result: {
            status: 'failed',
            durationMs: 100,
            error: { code: 'BACKUP_UNREADABLE', message: 'verify-pre: archive truncated' },
            details: upgradeDetails({ maintenance: 'untouched' }),
          },
        },
      ],
    });
    await recordRun(journal, {
      runId: RUNS.second,
      command: 'upgrade',
      interrupted: true,
      tenants: [
        {
          id: 'acme',
          steps: [
            ok('before-tenant', undefined, { at: Date.now() - 30_000 }),
            ok('backup-pre', backup('/b/acme/3.dump')),
            ok('verify-pre', { verified: 'deep' }),
            migrate(['m3'], 'm3'),
            ok('optimize'),
            ok('checks'),
            ok('backup-post', backup('/b/acme/4.dump')),
            {
              step: 'verify-post',
              status: 'failed',
              error: { code: 'BACKUP_UNREADABLE', message: 'sha256 mismatch' },
              durationMs: 700,
            },
            ok('rollback', { with: 'restore', backup: '/b/acme/3.dump' }, { durationMs: 1200 }),
          ],
          result: {
            status: 'failed',
            durationMs: 5000,
            error: {
              code: 'BACKUP_UNREADABLE',
              message:
                'verify-post: sha256 mismatch — rolled back to the pre-upgrade state; the tenant stays in maintenance',
            },
            details: upgradeDetails({ rolledBack: true, maintenance: 'closed', applied: ['m3'] }),
          },
        },
        {
          ...fullRunbook('globex', 3, ['m3'], 'm3', 10_000),
          result: { status: 'succeeded', durationMs: 3000, details: upgradeDetails() },
        },
        {
          id: 'initech',
          steps: [
            ok('before-tenant', undefined, { at: Date.now() - 20_000 }),
            ok('backup-pre', backup('/b/initech/2.dump')),
            ok('verify-pre', { verified: 'light' }),
            {
              step: 'migrate',
              status: 'failed',
              migrations: [{ name: 'm3' }],
              data: { applied: ['m3'] },
              error: { code: 'MIGRATION_FAILED', message: 'm4: syntax error at or near "<script>"' },
              durationMs: 300,
            },
            {
              step: 'rollback',
              status: 'failed',
              error: { code: 'RESTORE_FAILED', message: 'pg_restore: connection refused' },
            },
          ],
          result: {
            status: 'failed',
            durationMs: 9000,
            error: {
              code: 'ROLLBACK_FAILED',
              message: 'migrate: m4: syntax error; then ROLLBACK FAILED: pg_restore: connection refused',
            },
            details: upgradeDetails({
              rolledBack: false,
              maintenance: 'closed',
              needsAttention: 'ROLLBACK FAILED: pg_restore: connection refused — restore it by hand',
            }),
          },
        },
        {
          id: 'hooli',
          started: false,
          result: {
            status: 'skipped',
            durationMs: 0,
            error: { code: 'NOT_STARTED', message: 'not started: the canary wave failed' },
          },
        },
        {
          id: 'umbrella',
          steps: [{ step: 'before-tenant', at: Date.now() - 5000, unfinished: true }],
          result: null,
        },
        {
          id: 'wayne',
          steps: [
            ok('before-tenant', undefined, { at: Date.now() - 40_000 }),
            migrate([], 'm3'),
            ok('after-tenant'),
          ],
          result: { status: 'succeeded', durationMs: 1000, details: upgradeDetails() },
        },
        {
          id: 'stark',
          steps: [
            ok('before-tenant', undefined, { at: Date.now() - 20_000 }),
            migrate(['m3'], 'm3'),
            // Killed during optimize, then resumed (`upgrade --resume`): the old row stays "running".
            { step: 'optimize', unfinished: true },
            ok('optimize'),
            ok('after-tenant'),
          ],
          result: { status: 'succeeded', durationMs: 2000, details: upgradeDetails() },
        },
      ],
    });
    await recordRun(journal, {
      runId: RUNS.verify,
      command: 'verify',
      tenants: [
        {
          id: 'globex',
          steps: [
            {
              step: 'verify:light',
              status: 'failed',
              error: { code: 'BACKUP_UNREADABLE', message: 'checksum mismatch' },
            },
          ],
          result: {
            status: 'failed',
            durationMs: 50,
            error: { code: 'BACKUP_UNREADABLE', message: 'checksum mismatch' },
            details: { backup: { path: '/b/globex/4.dump', bytes: 4096, sha256: 'x', verified: false } },
          },
        },
        {
          // A backup no journaled run took (made before the journal existed): known only from its check.
          id: 'hooli',
          steps: [{ step: 'verify:light', data: { verified: 'light' } }],
          result: {
            status: 'succeeded',
            durationMs: 50,
            details: { backup: { path: '/b/hooli/9.dump', bytes: 1000, sha256: 'h', verified: 'light' } },
          },
        },
      ],
    });
  } finally {
    await journal.close();
  }
}
