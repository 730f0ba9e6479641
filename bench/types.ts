import type { BenchFleet } from './fleet.js';
import { median } from './measure.js';

/** Everything a suite needs, prepared once by main.ts. */
export interface BenchContext {
  fleet: BenchFleet;
  concurrency: number;
  runs: number;
  /** Scratch folder: inventories, the floor SQL file, the knexfile, dumps; dbfleet's working directory. */
  workDir: string;
  migrationsDir: string;
  floorSql: string;
  knexfile: string;
  templates: { empty: string; migrated: string };
  log(message: string): void;
}

/** One system measured `runs` times at one N. */
export interface Measurement {
  label: string;
  runsMs: number[];
  medianMs: number;
  /** Set when the figure is extrapolated rather than timed in full. */
  extrapolated?: { sample: number; perTenantMs: number; note: string };
  peakConnections?: number[];
  maxRssKb?: number[];
  /**
   * CPU seconds (user + system) of the measured process and the children it waited for (getrusage), e.g.
   * dbfleet backup's pg_dump and pg_restore; only where the system is one process of its own.
   */
  cpuSeconds?: number[];
  /** CPU seconds of the PostgreSQL backends that ended during each run (bench/server-cpu.ts). */
  serverCpuSeconds?: number[];
  /** 1-minute load average at the start of each run. */
  load?: number[];
}

export interface SuiteResult {
  suite:
    | 'migrate'
    | 'noop'
    | 'backup'
    | 'upgrade'
    | 'drift'
    | 'downtime'
    | 'queue'
    | 'scale'
    | 'scale-schemas';
  n: number;
  measurements: Record<string, Measurement>;
  /** Named ratios, e.g. `dbfleet/floor`. */
  ratios: Record<string, number>;
  /** Why a part was not measured (the feature has not landed, …). */
  notMeasured?: string[];
  /** Seconds spent creating the fleet for this suite (outside every timed section). */
  setupSeconds: number;
}

export function measurement(label: string, runsMs: number[], extra: Partial<Measurement> = {}): Measurement {
  return { label, runsMs, medianMs: median(runsMs), ...extra };
}

/** Rotates the order systems run in, so drift (cache warmth, autovacuum, checkpoints) is not always on one. */
export function rotated<T>(items: readonly T[], run: number): T[] {
  const k = run % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
