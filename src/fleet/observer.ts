import type { EventListener, FleetEvent } from '../core/events.js';

/**
 * The caller's `onEvent` as an observer: an exception it throws is dropped. Events are emitted from the
 * middle of a tenant's work; thrown there, a progress listener's bug failed tenants whose migrations had
 * committed, or — thrown on `tenant:done` — rejected the run while other tenants' sessions were still open,
 * their migration locks held for as long as the process lived (the next run found them LOCKED).
 */
export function asObserver(listener: EventListener | undefined): EventListener | undefined {
  if (!listener) return undefined;
  return (event: FleetEvent) => {
    try {
      listener(event);
    } catch {
      // the listener's own bug: the run, its tenants and their locks must not depend on it
    }
  };
}
