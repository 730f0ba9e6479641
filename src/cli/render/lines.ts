import type { FleetEvent } from '../../core/events.js';
import { formatDuration } from '../../util/duration.js';
import { waveDoneLine } from './wave-line.js';

/** When output is not a TTY (CI logs, pipes): one plain line per thing that happened. */
export function eventLine(event: FleetEvent): string | undefined {
  switch (event.type) {
    case 'run:start':
      return `${event.command}: ${event.total} tenant(s)${event.runId ? ` · run ${event.runId}` : ''}`;
    case 'migration:applied':
      return `  ${event.tenantId}: ${event.direction === 'up' ? 'applied' : 'reverted'} ${event.name} (${formatDuration(event.durationMs)})`;
    case 'migration:failed':
      return `  ${event.tenantId}: FAILED ${event.name}: ${event.error.message}`;
    case 'tenant:done': {
      const r = event.result;
      const mark = r.status === 'succeeded' ? 'ok  ' : r.status === 'failed' ? 'FAIL' : 'skip';
      return `${mark} ${r.id} (${formatDuration(r.durationMs)})${r.error ? ` — ${r.error.code}: ${r.error.message}` : ''}`;
    }
    case 'host:throttled':
      return `throttled: ${event.host} — ${event.reason}`;
    case 'host:capped':
      return `capped: ${event.host} — ${event.reason}`;
    case 'host:resumed':
      return `resumed: ${event.host}`;
    case 'wave:start':
      return `wave ${event.wave} (${event.label}): ${event.tenantIds.length} tenant(s)`;
    case 'wave:done':
      return waveDoneLine(event);
    case 'notice':
      return `${event.level === 'warn' ? 'warning: ' : ''}${event.tenantId ? `${event.tenantId}: ` : ''}${event.message}`;
    case 'run:done':
      return `done in ${formatDuration(event.durationMs)}: ${event.summary.succeeded} succeeded, ${event.summary.failed} failed, ${event.summary.skipped} skipped${event.interrupted ? ' (interrupted)' : ''}`;
    default:
      return undefined;
  }
}
