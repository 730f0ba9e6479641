import { errorMessage } from '../core/errors.js';
import type { ControlConnection } from '../dialect/postgres/queue-control.js';

/** A worker asks its control connection for a sign of life this often… */
const HEARTBEAT_MS = 5_000;
/**
 * …and counts it lost when no answer comes within this long: a link cut without a word (no FIN, no RST)
 * would otherwise go unnoticed until the kernel's keepalives give up, minutes after the server (whose
 * keepalives end the session in about 25 s, see liveness-options.ts) dropped the worker's job locks and
 * its coordinator handed its tenants out. HEARTBEAT_MS + this stays under those 25 s.
 */
const HEARTBEAT_TIMEOUT_MS = 15_000;

/**
 * Calls `onLost` once when the worker's control connection is gone: the pg client's 'error' or 'end',
 * or a heartbeat that fails or gets no answer. The job locks that tell coordinators this worker is alive
 * live on that connection, so once it is gone its jobs are being handed to other workers. Returns the
 * function that stops watching (before the worker closes the connection itself).
 */
export function watchControl(control: ControlConnection, onLost: (reason: string) => void): () => void {
  let stopped = false;
  const lose = (reason: string) => {
    if (stopped) return;
    stopped = true;
    clearInterval(beat);
    onLost(reason);
  };
  control.onLost((err) => lose(errorMessage(err)));
  let inFlight = false;
  const beat = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    const timer = setTimeout(
      () => lose(`no answer within ${HEARTBEAT_TIMEOUT_MS / 1000}s`),
      HEARTBEAT_TIMEOUT_MS,
    );
    timer.unref();
    control
      .query('select 1')
      .then(
        () => {},
        (err) => lose(errorMessage(err)),
      )
      .finally(() => {
        clearTimeout(timer);
        inFlight = false;
      });
  }, HEARTBEAT_MS);
  beat.unref();
  return () => {
    stopped = true;
    clearInterval(beat);
  };
}
