import assert from 'node:assert/strict';
import type { BackupDetails } from '../../src/backup/index.js';
import type { TenantResult } from '../../src/core/events.js';

/** Every check of a deep verify, in order, each passed. */
const DEEP_CHECKS = [
  'manifest',
  'file',
  'sha256',
  'archive',
  'restore',
  'integrity',
  'fingerprint',
  'cleanup',
];

/** Asserts `tenant` passed a deep verify with all its checks; returns the restore check's detail. */
export function deepVerifyPassed(tenant: TenantResult | undefined): string {
  assert.equal(tenant?.status, 'succeeded', JSON.stringify(tenant?.error));
  const checks = (tenant?.details as BackupDetails | undefined)?.checks ?? [];
  assert.deepEqual(
    checks.map((c) => [c.check, c.ok]),
    DEEP_CHECKS.map((check) => [check, true]),
  );
  return checks.find((c) => c.check === 'restore')?.detail ?? '';
}
