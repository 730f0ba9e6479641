import type { ErrorInfo } from './errors.js';

export type TenantStatus = 'succeeded' | 'failed' | 'skipped';

/**
 * One tenant's outcome: a value in the report, never an exception that stops the fleet.
 * `details` holds the command-specific fields of the `--json` contract (applied, pending, backup, …).
 */
export interface TenantResult<D extends object = Record<string, unknown>> {
  id: string;
  status: TenantStatus;
  durationMs: number;
  error?: ErrorInfo;
  details: D;
}

export interface RunSummary {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

/**
 * The one closed event stream of a run. The live progress, the plain log lines, the final table, the
 * `--json` report and the journal are all folds of it. Events carry tenant ids, never connections.
 */
export type FleetEvent =
  | { type: 'run:start'; command: string; runId?: string; total: number; at: number }
  | { type: 'tenant:queued'; tenantId: string; host: string }
  | { type: 'tenant:start'; tenantId: string; host: string; at: number }
  | { type: 'step:start'; tenantId: string; step: string; at: number }
  | {
      type: 'step:done';
      tenantId: string;
      step: string;
      status: TenantStatus;
      durationMs: number;
      error?: ErrorInfo;
      data?: Record<string, unknown>;
    }
  | { type: 'migration:start'; tenantId: string; name: string }
  | {
      type: 'migration:applied';
      tenantId: string;
      name: string;
      direction: 'up' | 'down';
      durationMs: number;
    }
  | { type: 'migration:failed'; tenantId: string; name: string; direction: 'up' | 'down'; error: ErrorInfo }
  | { type: 'host:throttled'; host: string; reason: string }
  | { type: 'host:resumed'; host: string }
  /** The server refused connections (its or the role's connection limit): fewer tenants at once there. */
  | { type: 'host:capped'; host: string; from: number; to: number; reason: string }
  | { type: 'wave:start'; wave: number; label: string; tenantIds: string[] }
  | {
      type: 'wave:done';
      wave: number;
      /** The run goes on to the next wave (a wave with failures within the budget passes its gate). */
      passed: boolean;
      /** The gate's reason, as the tenants it kept from starting carry it (`not started: …`). */
      reason?: string;
      /** The upgrade's counts, which its wave line states: see WaveOutcome. */
      outcome?: WaveOutcome;
    }
  | { type: 'optimization:start'; tenantId: string; name: string; kind: string }
  | { type: 'optimization:progress'; tenantId: string; name: string; rows: number; batches: number }
  | {
      type: 'optimization:done';
      tenantId: string;
      name: string;
      kind: string;
      action: string;
      rows?: number;
      durationMs: number;
      error?: ErrorInfo;
    }
  | { type: 'notice'; tenantId?: string; level: 'info' | 'warn'; message: string }
  | { type: 'tenant:done'; tenantId: string; result: TenantResult }
  | { type: 'run:done'; summary: RunSummary; durationMs: number; interrupted: boolean; at: number };

export type FleetEventType = FleetEvent['type'];
export type EventOf<T extends FleetEventType> = Extract<FleetEvent, { type: T }>;
export type EventListener = (event: FleetEvent) => void;

/** Why an upgrade stopped starting tenants. */
export type WaveStopCause = 'failure-budget' | 'on-failure-stop' | 'canary' | 'interrupted' | 'journal';

/** What one upgrade wave came to, counted when it ended. */
export interface WaveOutcome {
  /** Tenants of this wave that failed. */
  failed: number;
  /** Failures the whole run counted so far (earlier waves, and before a resume, included). */
  runFailures: number;
  /** The failure budget (--max-failures, resolved to a count): more failures than this stop the run. */
  budget: number;
  /** Set when the run stopped starting tenants (here or in an earlier wave). */
  stop?: WaveStopCause;
  /** Tenants of this wave the stop kept from starting. */
  notStartedHere: number;
  /** Tenants of later waves that will not start. */
  notStartedLater: number;
}
