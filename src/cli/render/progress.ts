import { createLogUpdate } from 'log-update';
import type { FleetEvent } from '../../core/events.js';
import { formatDuration } from '../../util/duration.js';
import { foldProgress, initialProgress, type ProgressState } from './progress-state.js';

function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function renderProgress(state: ProgressState, now = Date.now()): string {
  const elapsed = Math.max(1, now - state.startedAt);
  const rate = (state.done / elapsed) * 1000;
  const lines = [
    `${state.command}${state.wave ? ` · ${state.wave}` : ''}  ${bar(state.done, state.total)} ${state.done}/${state.total}` +
      `  ✔ ${state.succeeded}  ✖ ${state.failed}  ⏭ ${state.skipped}  ${rate.toFixed(1)} tenants/s  ${formatDuration(elapsed)}`,
  ];
  const running = [...state.running.entries()];
  const perStep = new Map<string, number>();
  for (const [, { step }] of running) perStep.set(step, (perStep.get(step) ?? 0) + 1);
  if (perStep.size > 1) lines.push(`steps: ${[...perStep].map(([step, n]) => `${step} ${n}`).join(' · ')}`);
  if (running.length) {
    const shown = running.slice(0, 6).map(([id, { step, detail }]) => `${id} (${detail ?? step})`);
    lines.push(`running: ${shown.join(', ')}${running.length > 6 ? ` +${running.length - 6} more` : ''}`);
  }
  for (const [host, reason] of state.throttled) lines.push(`throttled: ${host} — ${reason}`);
  return lines.join('\n');
}

/** The live view on a TTY: redraws in place at most ~10 times a second. */
export function createLiveProgress(stream: NodeJS.WriteStream) {
  const state = initialProgress();
  const log = createLogUpdate(stream, { showCursor: true });
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    last = Date.now();
    log(renderProgress(state));
  };
  return {
    onEvent(event: FleetEvent) {
      foldProgress(state, event);
      if (event.type === 'run:done') {
        if (timer) clearInterval(timer);
        draw();
        log.done();
        return;
      }
      timer ??= setInterval(draw, 250).unref();
      if (Date.now() - last > 100) draw();
    },
  };
}
