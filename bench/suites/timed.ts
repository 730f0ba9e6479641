import { loadavg } from 'node:os';
import { sampleConnections } from '../measure.js';

export interface Timed<T> {
  ms: number;
  peakConnections: number;
  /** 1-minute load average when the run started: above the core count, other work competed with it. */
  load: number;
  value: T;
}

/** Times `fn` (wall clock) while sampling the connections open on the tenant databases. */
export async function timed<T>(tenantPattern: string, fn: () => Promise<T>): Promise<Timed<T>> {
  const sampler = await sampleConnections(tenantPattern);
  const load = loadavg()[0]!;
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    const { peak } = await sampler.stop();
    return { ms, peakConnections: peak, load, value };
  } catch (err) {
    await sampler.stop().catch(() => {});
    throw err;
  }
}
