import { median } from '../measure.js';
import type { Measurement, SuiteResult } from '../types.js';

/** A scale suite's result: per-tenant time of migrate and status, and the journal's bytes per tenant. */
export function scaleResult(
  suite: 'scale' | 'scale-schemas',
  n: number,
  measured: { migrate: Measurement; status: Measurement },
  journalBytes: readonly number[],
  setupMs: number,
): SuiteResult {
  const { migrate, status } = measured;
  return {
    suite,
    n,
    measurements: { migrate, status },
    ratios: {
      'migrate: ms per tenant': migrate.medianMs / n,
      'status: ms per tenant': status.medianMs / n,
      'journal: bytes per tenant': median([...journalBytes]),
    },
    setupSeconds: setupMs / 1000,
  };
}
