import { median } from '../measure.js';
import type { Measurement, SuiteResult } from '../types.js';

/**
 * A scale suite's result: per-tenant time of migrate and status, and the journal's bytes per tenant; and,
 * to tell whose slope a per-tenant rise is, the CPU per tenant of dbfleet's process and of the server.
 */
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
      ...cpuPerTenant('migrate', migrate, n),
      ...cpuPerTenant('status', status, n),
    },
    setupSeconds: setupMs / 1000,
  };
}

function cpuPerTenant(system: string, m: Measurement, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (m.cpuSeconds?.length) out[`${system}: dbfleet CPU ms per tenant`] = (median(m.cpuSeconds) * 1000) / n;
  if (m.serverCpuSeconds?.length)
    out[`${system}: server CPU ms per tenant`] = (median(m.serverCpuSeconds) * 1000) / n;
  return out;
}
