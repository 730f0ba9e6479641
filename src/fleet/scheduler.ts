import { setImmediate as eventLoopTurn } from 'node:timers/promises';
import pLimit from 'p-limit';
import { serverKey } from '../core/server-key.js';
import { keyedLimit } from '../util/keyed-limit.js';

export interface SchedulerOptions {
  /** Tenants in flight across the fleet. */
  concurrency: number;
  /** Tenants in flight on one server (`localhost` and `127.0.0.1` are one: see server-key.ts). */
  perHost: number;
  signal?: AbortSignal;
  /**
   * Awaited while holding the host's slot but before taking a global slot, so a throttled host
   * never blocks tenants on other hosts (the throttle's load probe plugs in here).
   */
  beforeStart?: (host: string, signal?: AbortSignal) => Promise<void>;
  /** Checked right before a job starts; a reason string means "do not start" (failure budget, abort). */
  startGate?: () => string | undefined;
}

export interface Job<T> {
  host: string;
  run: () => Promise<T>;
  /** Called instead of `run` when the job is not started (interrupted, budget exhausted). */
  notStarted: (reason: string) => T;
  /**
   * Work that must be finished whatever the gate says (a tenant a killed run left half-upgraded and in
   * maintenance); only an interrupt holds it back.
   */
  ignoreGate?: boolean;
}

/**
 * Runs jobs under a global cap and a per-host cap. The host slot is taken first: waiting for a busy
 * host holds no global slot, so tenants on other servers keep flowing.
 */
export function createScheduler(options: SchedulerOptions) {
  if (!(options.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  if (!(options.perHost >= 1)) throw new RangeError('per-host must be at least 1');
  const global = pLimit(options.concurrency);
  const hostLimit = keyedLimit(Math.min(options.perHost, options.concurrency));
  const stopReason = (ignoreGate = false): string | undefined => {
    if (options.signal?.aborted) return 'not started: the run was interrupted';
    return ignoreGate ? undefined : options.startGate?.();
  };

  function schedule<T>(job: Job<T>): Promise<T> {
    return hostLimit(serverKey(job.host), async () => {
      // A tenant on a synchronous driver (SQLite) settles in promise callbacks alone, so a run could go
      // to its end without the event loop turning once: no signal (Ctrl-C) or timer (an AbortSignal's
      // timeout, a lock wait) would be heard. One turn per tenant costs microseconds.
      await eventLoopTurn();
      let reason = stopReason(job.ignoreGate);
      if (reason) return job.notStarted(reason);
      await options.beforeStart?.(job.host, options.signal);
      return global(async () => {
        reason = stopReason(job.ignoreGate);
        if (reason) return job.notStarted(reason);
        return job.run();
      });
    });
  }
  /** Narrows a host's cap for the rest of the run (it refused connections); see connection-limit.ts. */
  return Object.assign(schedule, {
    lowerHostCap: (host: string, to: number) => hostLimit.lower(serverKey(host), to),
  });
}
