import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleConnections } from '../measure.js';
import { serverCpuReader } from '../server-cpu.js';

export interface Timed<T> {
  ms: number;
  peakConnections: number;
  /** 1-minute load average when the run started: above the core count, other work competed with it. */
  load: number;
  /** CPU seconds of the server's backends that ended during the run (see server-cpu.ts), where readable. */
  serverCpuS?: number;
  value: T;
}

/** Times `fn` (wall clock) while sampling the connections open on the tenant databases. */
export async function timed<T>(tenantPattern: string, fn: () => Promise<T>): Promise<Timed<T>> {
  const serverCpu = await serverCpuReader();
  const sampler = await sampleConnections(tenantPattern);
  const load = loadavg()[0]!;
  const cpu0 = serverCpu?.();
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    // Read before the sampler's own backend ends (it is not the run's); the run's backends end as soon
    // as its process has gone, and the postmaster reaps them within a few milliseconds.
    await sleep(200);
    const cpu1 = serverCpu?.();
    const { peak } = await sampler.stop();
    const serverCpuS =
      cpu0 !== undefined && cpu1 !== undefined ? Math.round((cpu1 - cpu0) * 100) / 100 : undefined;
    return { ms, peakConnections: peak, load, ...(serverCpuS !== undefined ? { serverCpuS } : {}), value };
  } catch (err) {
    await sampler.stop().catch(() => {});
    throw err;
  }
}
