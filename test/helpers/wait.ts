import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it returns something other than undefined, and returns that; throws naming `what`
 * after `ms`. Tests wait on what happened, not on a guess of how long it takes, so a loaded CI machine
 * makes them slower, never wrong.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(5);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** waitFor for a condition. */
export function waitUntil(what: string, condition: () => boolean, ms?: number): Promise<true> {
  return waitFor(what, () => (condition() ? true : undefined), ms);
}
