import { median } from './measure.js';
import type { BenchReport } from './report.js';

const s = (ms: number) => (ms / 1000).toFixed(1);

/** The figures, targets and machine of a run as Markdown, for README's Performance section. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `Measured ${report.generatedAt.slice(0, 10)} on ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM; ${m.postgres} on the same machine; Node ${m.node}; dbfleet ${m.gitCommit ?? ''}.`,
    `Median of ${report.settings.runs} runs; concurrency ${report.settings.concurrency}; ${report.workload.migrations} migrations, ${report.workload.migrationStatements} statements per tenant. Load average during the runs: ${loadRange(report)}.`,
    '',
    '| suite | N | system | median s | runs s | ratio |',
    '|---|---:|---|---:|---|---|',
  ];
  for (const suite of report.suites) {
    for (const [key, x] of Object.entries(suite.measurements)) {
      const ratios = Object.entries(suite.ratios).filter(
        ([name]) => name.split('/')[0] === key || name.startsWith(`${key}: `),
      );
      const label = x.extrapolated ? `${x.label} — *${x.extrapolated.note}*` : x.label;
      lines.push(
        `| ${suite.suite} | ${suite.n} | ${label} | ${s(x.medianMs)} | ${x.runsMs.map(s).join(', ')} | ${ratios.map(([name, value]) => `${name} = **${value.toFixed(2)}**`).join('; ')} |`,
      );
    }
    for (const reason of suite.notMeasured ?? [])
      lines.push(`| ${suite.suite} | ${suite.n} | ${reason} | | | |`);
  }
  lines.push('', '| target | limit | measured | result |', '|---|---|---|---|');
  for (const t of report.targets) {
    const verdict = t.pass === null ? 'not measured' : t.pass ? '**pass**' : '**FAIL**';
    lines.push(`| ${t.target} | ${t.limit} | ${t.measured} | ${verdict}${t.note ? ` — ${t.note}` : ''} |`);
  }
  return `${lines.join('\n')}\n`;
}

function loadRange(report: BenchReport): string {
  const loads = report.suites.flatMap((x) => Object.values(x.measurements).flatMap((y) => y.load ?? []));
  if (!loads.length) return 'not recorded';
  return `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (median ${median(loads).toFixed(1)}) on ${report.machine.cores} cores`;
}
