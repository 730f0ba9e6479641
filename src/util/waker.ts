import { abortableSleep } from './abortable-sleep.js';

/**
 * Sleeps a poller can be woken from (a notification that there is work), with polling as the fallback.
 * `since` is the `generation` the caller read before it last looked for work: a wake that came while it
 * looked is not lost, the sleep returns at once.
 */
export function createWaker() {
  let woken = new AbortController();
  let generation = 0;
  return {
    get generation() {
      return generation;
    },
    wake(): void {
      generation++;
      woken.abort();
      woken = new AbortController();
    },
    sleep(ms: number, since: number, signal?: AbortSignal): Promise<void> {
      if (since !== generation) return Promise.resolve();
      return abortableSleep(ms, signal ? AbortSignal.any([signal, woken.signal]) : woken.signal);
    },
  };
}
