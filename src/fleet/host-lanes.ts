import { groupBy } from '../util/group-by.js';

/**
 * Calls `start(item)` for every item, with at most `lanes` calls outstanding per host: each host gets up
 * to `lanes` loops that take the host's next item only when their previous call has settled.
 *
 * Why not hand every tenant to the scheduler at once: each scheduled tenant holds a pending promise, a
 * queue node and a few closures until its turn (~1.5 KB), so a 10,000-tenant run kept ~15 MiB of them
 * alive from its first second — and V8 sizes its old generation from the live set, so the process's peak
 * grew about three times that. Lanes keep O(hosts × lanes) of them; the caps themselves stay the
 * scheduler's (a host whose cap was lowered mid-run makes its extra lanes wait there).
 *
 * Items keep their order within a host; the first lanes of every host start before anyone's second, so
 * an inventory sorted by host does not starve the hosts listed last. The first rejection stops every lane
 * from taking more items and rejects the whole.
 */
export async function forEachInHostLanes<T>(
  items: readonly T[],
  hostOf: (item: T) => string,
  lanes: number,
  start: (item: T) => Promise<void>,
): Promise<void> {
  const queues = groupBy(items, hostOf);
  let failed = false;
  const lane = async (queue: T[], next: { at: number }): Promise<void> => {
    while (!failed && next.at < queue.length) {
      const item = queue[next.at++] as T;
      try {
        await start(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const running: Promise<void>[] = [];
  const cursors = [...queues.values()].map((queue) => ({ queue, next: { at: 0 } }));
  const perHost = Math.max(1, Math.floor(lanes));
  for (let round = 0; round < perHost; round++)
    for (const { queue, next } of cursors) if (round < queue.length) running.push(lane(queue, next));
  await Promise.all(running);
}
