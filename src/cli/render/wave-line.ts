import type { EventOf, WaveOutcome, WaveStopCause } from '../../core/events.js';

const WHY: Record<WaveStopCause, (o: WaveOutcome) => string> = {
  'failure-budget': (o) => `more than the failure budget (${o.budget})`,
  'on-failure-stop': () => 'and --on-failure is stop',
  canary: () => 'a canary failed',
  interrupted: () => 'the run was interrupted',
  journal: () => 'the journal could not be written',
};

function notStarted(o: WaveOutcome): string {
  const parts = [
    o.notStartedHere ? `${o.notStartedHere} of this wave` : '',
    o.notStartedLater ? `${o.notStartedLater} of later waves` : '',
  ].filter(Boolean);
  if (parts.length === 0) return 'no tenant was left to start';
  return `stopped: ${o.notStartedHere + o.notStartedLater} tenant(s) not started (${parts.join(', ')})`;
}

/**
 * The wave's line, from its counts: "passed" only when none of its tenants failed; failures within the
 * budget say so and that the run goes on; a stop says why and how many tenants it kept from starting.
 */
export function waveDoneLine(event: EventOf<'wave:done'>): string {
  const o = event.outcome;
  // Without counts (a rollback's waves, an older emitter): the gate's verdict as it was given.
  if (!o)
    return `wave ${event.wave} ${event.passed ? 'passed' : `stopped: ${event.reason ?? 'gate failed'}`}`;
  if (!o.stop && o.failed === 0) return `wave ${event.wave} passed`;
  const failed = `${o.failed === 0 ? 'none' : o.failed} failed${o.runFailures !== o.failed ? ` (${o.runFailures} in the run)` : ''}`;
  if (!o.stop) return `wave ${event.wave}: ${failed}, within the failure budget (${o.budget}); continuing`;
  return `wave ${event.wave}: ${failed}, ${WHY[o.stop](o)}; ${notStarted(o)}`;
}
