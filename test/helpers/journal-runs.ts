// Fills a journal the way a run does: planRun, then the run's events through journal.onEvent, then flush.

import type { ErrorInfo } from '../../src/core/errors.js';
import type { FleetEvent, TenantStatus } from '../../src/core/events.js';
import type { Journal } from '../../src/journal/journal.js';

export interface StepSpec {
  step: string;
  status?: TenantStatus;
  data?: Record<string, unknown>;
  error?: ErrorInfo;
  durationMs?: number;
  /** The step's start time (default now); the maintenance window opens at before-tenant's. */
  at?: number;
  /** Migrations applied while the step runs. */
  migrations?: { name: string; direction?: 'up' | 'down' }[];
  /** The step never finishes (the process was killed). */
  unfinished?: boolean;
}

export interface TenantSpec {
  id: string;
  host?: string;
  wave?: number;
  /** false: the tenant never started (only a tenant:done, if `result` is given). */
  started?: boolean;
  steps?: StepSpec[];
  /** The tenant:done result; null: none (killed in flight). */
  result: {
    status: TenantStatus;
    durationMs: number;
    error?: ErrorInfo;
    details?: Record<string, unknown>;
  } | null;
}

export interface RunSpec {
  runId: string;
  command: string;
  tenants: TenantSpec[];
  interrupted?: boolean;
  /** The run's journaled options (default `{ note: 'test' }`): a rollback run's `{ run, with }`. */
  options?: Record<string, unknown>;
}

export async function recordRun(journal: Journal, spec: RunSpec): Promise<void> {
  const emit = (event: FleetEvent) => journal.onEvent(event);
  journal.planRun(
    spec.runId,
    spec.command,
    spec.options ?? { note: 'test' },
    spec.tenants.map((t) => ({ id: t.id, host: t.host ?? 'db1:5432', wave: t.wave ?? 0 })),
  );
  const t0 = Date.now();
  emit({ type: 'run:start', command: spec.command, runId: spec.runId, total: spec.tenants.length, at: t0 });
  for (const t of spec.tenants) {
    if (t.started !== false)
      emit({ type: 'tenant:start', tenantId: t.id, host: t.host ?? 'db1:5432', at: Date.now() });
    for (const s of t.steps ?? []) {
      emit({ type: 'step:start', tenantId: t.id, step: s.step, at: s.at ?? Date.now() });
      for (const m of s.migrations ?? []) {
        emit({ type: 'migration:start', tenantId: t.id, name: m.name });
        emit({
          type: 'migration:applied',
          tenantId: t.id,
          name: m.name,
          direction: m.direction ?? 'up',
          durationMs: 3,
        });
      }
      if (s.unfinished) continue;
      emit({
        type: 'step:done',
        tenantId: t.id,
        step: s.step,
        status: s.status ?? 'succeeded',
        durationMs: s.durationMs ?? 5,
        ...(s.error ? { error: s.error } : {}),
        ...(s.data ? { data: s.data } : {}),
      });
    }
    if (t.result) {
      const { status, durationMs, error, details } = t.result;
      emit({
        type: 'tenant:done',
        tenantId: t.id,
        result: { id: t.id, status, durationMs, ...(error ? { error } : {}), details: details ?? {} },
      });
    }
    await journal.flush();
  }
  const summary = { total: spec.tenants.length, succeeded: 0, failed: 0, skipped: 0 };
  for (const t of spec.tenants) if (t.result) summary[t.result.status]++;
  emit({
    type: 'run:done',
    summary,
    durationMs: Date.now() - t0,
    interrupted: spec.interrupted ?? false,
    at: Date.now(),
  });
  await journal.flush();
  // Runs are ordered by their start time: keep each run's strictly after the previous one's.
  await new Promise((r) => setTimeout(r, 3));
}
