import { parseArgs } from 'node:util';

export const SUITES = [
  'migrate',
  'noop',
  'backup',
  'upgrade',
  'memory',
  'drift',
  'downtime',
  'queue',
  'scale',
  'scale-schemas',
] as const;
export type SuiteName = (typeof SUITES)[number];

export interface BenchArgs {
  n: number[];
  runs: number;
  only: SuiteName[];
  concurrency: number;
  out: string;
  cliSample: number;
  dropStale: boolean;
}

const HELP = `npm run bench -- [options]

  --n 50,200,1000        fleet sizes (default 50,200,1000)
  --runs 3               timed runs per figure; the median is reported (default 3, at least 3 for published figures)
  --only migrate,noop,backup,upgrade,memory,drift,downtime,queue,scale,scale-schemas   suites to run (default all;
                         scale and scale-schemas are meant for --n 1000,10000)
  --concurrency 4        tenants in flight for dbfleet and for every floor (default 4: dbfleet's per-host
                         default, since the bench fleet lives on one server, and the issue's "4 in parallel")
  --cli-sample 10        tenants timed for the knex CLI loop, extrapolated to N (default 10)
  --out bench/results/latest.json
  --drop-stale           first drop databases left behind by an interrupted earlier bench (bench_<hex>_…)
`;

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1 (got ${value})`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '50,200,1000' },
      runs: { type: 'string', default: '3' },
      only: { type: 'string', default: SUITES.join(',') },
      concurrency: { type: 'string', default: '4' },
      out: { type: 'string', default: 'bench/results/latest.json' },
      'cli-sample': { type: 'string', default: '10' },
      'drop-stale': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const only = values.only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((s) => !(SUITES as readonly string[]).includes(s));
  if (unknown.length)
    throw new Error(`--only: unknown suite ${unknown.join(', ')} (expected ${SUITES.join(', ')})`);
  return {
    n: [...new Set(values.n.split(',').map((s) => positiveInt('n', s.trim())))].sort((a, b) => a - b),
    runs: positiveInt('runs', values.runs),
    only: only as SuiteName[],
    concurrency: positiveInt('concurrency', values.concurrency),
    out: values.out,
    cliSample: positiveInt('cli-sample', values['cli-sample']),
    dropStale: values['drop-stale'],
  };
}
