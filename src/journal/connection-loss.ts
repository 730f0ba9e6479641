/** Waits before each retry of a batch whose connection was lost: ~7 s in all. */
export const RETRY_DELAYS_MS = [250, 1000, 2000, 4000];

/** The journal's connection was cut (terminated, reset, server restarting): the batch rolled back with it. */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // 57P01–57P03: admin shutdown, crash shutdown, cannot connect now; 08xxx: connection exceptions.
  if (/^(57P0[123]|08\w{3}|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT)$/.test(code)) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error/i.test(
    typeof e?.message === 'string' ? e.message : '',
  );
}
