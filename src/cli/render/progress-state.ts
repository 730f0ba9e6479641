import type { FleetEvent } from '../../core/events.js';

/** What the live view shows, folded from the event stream (pure, so it is unit-testable). */
export interface ProgressState {
  command: string;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  skipped: number;
  startedAt: number;
  /** Tenant → its current step, and what inside it (a migration's name). */
  running: Map<string, { step: string; detail?: string }>;
  throttled: Map<string, string>;
  wave?: string;
}

export function initialProgress(): ProgressState {
  return {
    command: '',
    total: 0,
    done: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    startedAt: Date.now(),
    running: new Map(),
    throttled: new Map(),
  };
}

export function foldProgress(state: ProgressState, event: FleetEvent): ProgressState {
  switch (event.type) {
    case 'run:start':
      state.command = event.command;
      state.total = event.total;
      state.startedAt = event.at;
      break;
    case 'tenant:start':
      state.running.set(event.tenantId, { step: 'starting' });
      break;
    case 'step:start':
      state.running.set(event.tenantId, { step: event.step });
      break;
    case 'migration:start':
      state.running.set(event.tenantId, {
        step: state.running.get(event.tenantId)?.step ?? 'migrate',
        detail: event.name,
      });
      break;
    case 'tenant:done':
      state.running.delete(event.tenantId);
      state.done++;
      state[event.result.status]++;
      break;
    case 'host:throttled':
      state.throttled.set(event.host, event.reason);
      break;
    case 'host:resumed':
      state.throttled.delete(event.host);
      break;
    case 'wave:start':
      state.wave = `wave ${event.wave} (${event.label})`;
      break;
    default:
      break;
  }
  return state;
}
