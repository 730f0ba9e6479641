import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Table from 'cli-table3';
import type { MachineInfo } from './machine.js';
import { median } from './measure.js';
import type { TargetResult } from './targets.js';
import type { SuiteResult } from './types.js';

export interface BenchReport {
  generatedAt: string;
  /** Set while the bench is still running (the file is rewritten after every suite). */
  partial?: true;
  machine: MachineInfo;
  settings: {
    n: number[];
    runs: number;
    concurrency: number;
    suites: string[];
    knexCliSample: number;
    /** The dbfleet entry point measured (DBFLEET_BENCH_BIN). */
    dbfleetBin: string;
  };
  workload: { migrations: number; migrationStatements: number; floorStatements: number };
  /** How dbfleet was run, and other things a reader must know to read the figures. */
  notes: string[];
  suites: SuiteResult[];
  targets: TargetResult[];
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

export function writeJsonReport(file: string, report: BenchReport): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

export function renderFigures(suites: readonly SuiteResult[]): string {
  const table = new Table({
    head: ['suite', 'N', 'system', 'median s', 'runs s', 'peak conn', 'peak RSS MiB', 'load', 'ratio'],
    style: { head: [] },
  });
  for (const s of suites) {
    const keys = Object.keys(s.measurements);
    for (const key of keys) {
      const m = s.measurements[key]!;
      // A ratio `a/b` is shown on row `a`.
      const ratios = Object.entries(s.ratios).filter(
        ([name]) => name.split('/')[0] === key || name.startsWith(`${key}: `),
      );
      table.push([
        s.suite,
        String(s.n),
        m.extrapolated ? `${m.label}\n(${m.extrapolated.note})` : m.label,
        seconds(m.medianMs),
        m.runsMs.map(seconds).join(' '),
        m.peakConnections?.length ? String(Math.max(...m.peakConnections)) : '',
        m.maxRssKb?.length ? (median(m.maxRssKb) / 1024).toFixed(0) : '',
        m.load?.length ? median(m.load).toFixed(1) : '',
        ratios.map(([name, value]) => `${name} = ${value.toFixed(2)}`).join('\n'),
      ]);
    }
    for (const reason of s.notMeasured ?? [])
      table.push([s.suite, String(s.n), reason, '', '', '', '', '', '']);
  }
  return table.toString();
}

export function renderTargets(targets: readonly TargetResult[]): string {
  const table = new Table({ head: ['target', 'limit', 'measured', 'result'], style: { head: [] } });
  for (const t of targets) {
    const verdict = t.pass === null ? 'not measured' : t.pass ? 'PASS' : 'FAIL';
    table.push([t.target, t.limit, t.measured, t.note ? `${verdict}: ${t.note}` : verdict]);
  }
  return table.toString();
}

export function renderMachine(m: MachineInfo): string {
  return [
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}`,
    `${m.postgres} (${Object.entries(m.postgresSettings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}); ${m.pgTools}; node ${m.node}`,
    `dbfleet ${m.gitCommit ?? '(no git)'}; other sessions on the server at start: ${m.otherSessionsAtStart}`,
  ].join('\n');
}
