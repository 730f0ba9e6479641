import { type ErrorInfo, TenantError } from '../core/errors.js';
import type { FleetEvent } from '../core/events.js';
import type { OptimizerDriver } from '../dialect/optimize-types.js';
import type { DialectAdapter, TenantSession, Timeouts } from '../dialect/types.js';
import { describeFailure } from '../fleet/describe-failure.js';
import type { PreviousRun } from './planner.js';
import { RetriesExhausted, type RetryPolicy } from './retry.js';
import type { OptimizationAction } from './types.js';

/** Everything one tenant's optimizations share while they run. */
export interface OptimizerRun {
  session: TenantSession;
  adapter: DialectAdapter;
  driver: OptimizerDriver;
  dryRun: boolean;
  /** The session's own timeouts, restored after each optimization. */
  timeouts: Timeouts;
  previous: ReadonlyMap<string, PreviousRun>;
  emit: (event: FleetEvent) => void;
  signal: AbortSignal;
}

/** What one optimization did; `error` makes the tenant fail (after its other optimizations ran). */
export interface StepResult {
  action: OptimizationAction;
  rows?: number;
  error?: ErrorInfo;
}

export const DEFAULT_RETRIES = 5;
export const DEFAULT_RETRY_DELAY_MS = 200;

/**
 * Runs `fn` with these timeouts on the session and puts the session's own back afterwards, so a long
 * index build's `statement_timeout = 0` never leaks into the next optimization.
 */
export async function withSessionTimeouts<T>(
  run: OptimizerRun,
  timeouts: Timeouts,
  fn: () => Promise<T>,
): Promise<T> {
  await run.session.setTimeouts(timeouts);
  try {
    return await fn();
  } finally {
    await run.session.setTimeouts(run.timeouts).catch(() => {});
  }
}

/** Lock timeouts and deadlocks are worth another try after a pause; nothing else is. */
export function isLockError(run: OptimizerRun, err: unknown): boolean {
  const code = run.adapter.classifyError(err)?.code;
  return code === 'LOCK_TIMEOUT' || code === 'DEADLOCK';
}

export function retryPolicy(
  run: OptimizerRun,
  name: string,
  what: string,
  settings: { retries?: number; retryDelayMs?: number } = {},
): RetryPolicy {
  return {
    retries: settings.retries ?? DEFAULT_RETRIES,
    baseDelayMs: settings.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    retryable: (err) => isLockError(run, err),
    signal: run.signal,
    onRetry: (attempt, delayMs) =>
      run.emit({
        type: 'notice',
        tenantId: run.session.tenant.id,
        level: 'warn',
        message: `${name}: ${what} could not get its locks; retry ${attempt} in ${delayMs}ms`,
      }),
  };
}

/** The original driver error behind a retry that gave up. */
export function rootCause(err: unknown): unknown {
  return err instanceof RetriesExhausted ? err.last : err;
}

/** A failure as the report shows it: classified by the dialect, credentials removed, naming the optimization. */
export function failureOf(run: OptimizerRun, err: unknown, label: string): ErrorInfo {
  const info = describeFailure(rootCause(err), run.adapter);
  if (err instanceof TenantError) return info;
  return {
    code: info.code === 'FAILED' ? 'OPTIMIZATION_FAILED' : info.code,
    message: `${label}: ${info.message}`,
  };
}
