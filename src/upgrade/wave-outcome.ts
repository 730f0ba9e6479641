import type { TenantResult, WaveOutcome, WaveStopCause } from '../core/events.js';
import type { Tenant } from '../core/tenant.js';

export interface WaveCounts {
  failed: number;
  runFailures: number;
  budget: number;
  stop: WaveStopCause | undefined;
  /** The wave's results: a tenant the gate kept from starting is skipped as NOT_STARTED. */
  results: readonly TenantResult[];
  /** The tenants of the waves after this one. */
  later: readonly Tenant[];
  /** A tenant a killed run left mid-pipeline: a resume finishes it whatever the gates say. */
  inFlight: (tenant: Tenant) => boolean;
}

/**
 * What a wave came to, counted when it ended: the gate's reason is fixed when the gate closes (the first
 * failure past the budget), so its count says nothing of the failures after it, nor of what was left.
 */
export function waveOutcome(c: WaveCounts): WaveOutcome {
  return {
    failed: c.failed,
    runFailures: c.runFailures,
    budget: c.budget,
    ...(c.stop ? { stop: c.stop } : {}),
    notStartedHere: c.results.filter((r) => r.error?.code === 'NOT_STARTED').length,
    notStartedLater: c.stop ? c.later.filter((t) => !c.inFlight(t)).length : 0,
  };
}
