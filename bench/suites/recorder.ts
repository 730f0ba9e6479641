import type { ChildRun } from '../measure.js';
import { type Measurement, measurement } from '../types.js';
import type { Timed } from './timed.js';

interface Series {
  times: number[];
  peaks: number[];
  load: number[];
  rss: number[];
  cpu: number[];
  serverCpu: number[];
}

/** Collects every run of every system of a suite; a run that was one child process also gives RSS and CPU. */
export function createRecorder<S extends string>() {
  const series = new Map<S, Series>();
  const of = (system: S) => {
    let s = series.get(system);
    if (!s) {
      s = { times: [], peaks: [], load: [], rss: [], cpu: [], serverCpu: [] };
      series.set(system, s);
    }
    return s;
  };
  return {
    add(system: S, t: Timed<ChildRun | undefined>): void {
      const s = of(system);
      s.times.push(t.ms);
      s.peaks.push(t.peakConnections);
      s.load.push(Math.round(t.load * 100) / 100);
      if (t.serverCpuS !== undefined) s.serverCpu.push(t.serverCpuS);
      const run = t.value;
      if (run?.maxRssKb !== undefined) s.rss.push(run.maxRssKb);
      if (run?.userS !== undefined && run.sysS !== undefined)
        s.cpu.push(Math.round((run.userS + run.sysS) * 100) / 100);
    },
    measurement(system: S, label: string): Measurement {
      const s = of(system);
      return measurement(label, s.times, {
        peakConnections: s.peaks,
        load: s.load,
        ...(s.rss.length ? { maxRssKb: s.rss } : {}),
        ...(s.cpu.length ? { cpuSeconds: s.cpu } : {}),
        ...(s.serverCpu.length ? { serverCpuSeconds: s.serverCpu } : {}),
      });
    },
  };
}
