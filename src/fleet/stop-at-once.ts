/**
 * The abort reason of a runner that stops at once rather than letting its tenants finish their step: a
 * queue worker that lost its control connection, whose tenants another worker is about to take over.
 * Their sessions are closed under them (see `createFleetRun`'s `closeSessions`), so whatever fails after
 * that is the stop, not the tenant: a step is left unfinished, as after a kill, never failed and rolled
 * back by a process that no longer owns the tenant.
 */
export class StopAtOnce extends Error {
  override name = 'StopAtOnce';
}

export function stoppedAtOnce(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof StopAtOnce;
}
