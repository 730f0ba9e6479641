// `npm run bench -- --help`: dbfleet against the floor and against what users do today, on real PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './args.js';
import { buildDbfleet, DBFLEET_BIN } from './dbfleet-cli.js';
import { listStaleBenchDatabases, openBenchFleet } from './fleet.js';
import { machineInfo } from './machine.js';
import { renderMarkdown } from './markdown.js';
import { liveChildren } from './measure.js';
import { type BenchReport, renderFigures, renderMachine, renderTargets, writeJsonReport } from './report.js';
import { prepare } from './setup.js';
import { backupSuite } from './suites/backup.js';
import { downtimeSuite } from './suites/downtime.js';
import { driftSuite } from './suites/drift.js';
import { type CliSampleRounds, sampleKnexCli } from './suites/knex-cli-sample.js';
import { migrateSuite } from './suites/migrate.js';
import { noopSuite } from './suites/noop.js';
import { queueSuite } from './suites/queue.js';
import { scaleSuite } from './suites/scale.js';
import { scaleSchemasSuite } from './suites/scale-schemas.js';
import { upgradeSuite } from './suites/upgrade.js';
import { evaluateTargets } from './targets.js';
import type { BenchContext, SuiteResult } from './types.js';

const NOTES = [
  'dbfleet is measured as users run it: `node dist/cli/main.js <command> --tenants … --json` (the build `npx dbfleet` starts, compiled by the bench first), a child process (start-up included), with --concurrency and --per-host both set to the bench concurrency (every tenant is on one server).',
  'Every figure is the median of the runs listed. A fleet is created once per suite and N (CREATE DATABASE … TEMPLATE); before each migrate/upgrade run every tenant is emptied in place (DROP SCHEMA public CASCADE) and a CHECKPOINT is taken, outside the timed section. Systems run in a rotating order.',
  'The knex CLI loop is extrapolated from a timed sample (mean time of one `knex migrate:latest` process × N).',
  'Peak connections: backends on the tenant databases, sampled from pg_stat_activity every ~20 ms. Peak RSS: ru_maxrss of the dbfleet process (GNU time). cpuSeconds: user + system CPU of that process and the children it ran (pg_dump, pg_restore).',
  '`load` is the 1-minute load average when each run started; above the core count, other work on the machine competed with the run.',
];

const args = (() => {
  try {
    return parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message} (see --help)\n`);
    process.exit(2);
  }
})();
const migrationsDir = resolve(fileURLToPath(new URL('./migrations', import.meta.url)));
const log = (message: string) => process.stderr.write(`${message}\n`);
const fleet = await openBenchFleet();
const workDir = mkdtempSync(join(tmpdir(), 'dbfleet-bench-'));

let cleaning: Promise<void> | undefined;
const cleanup = () => {
  cleaning ??= (async () => {
    for (const child of liveChildren) child.kill('SIGTERM');
    await fleet.dropAll().catch((err) => log(`could not drop every ${fleet.prefix}_ database: ${err}`));
    await fleet.close().catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaning;
};
// Ctrl-C (or a kill) must not leave a thousand databases behind; a second Ctrl-C exits at once.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (cleaning) process.exit(130);
    log(`\n${signal}: stopping, dropping the ${fleet.prefix}_ databases…`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  if (args.dropStale) {
    const stale = await listStaleBenchDatabases(fleet.admin, fleet.prefix);
    log(`dropping ${stale.length} stale bench databases`);
    for (const db of stale) await fleet.drop(db);
  }
  log(`building dbfleet (tsc → dist/), measured as ${relative(process.cwd(), DBFLEET_BIN)}`);
  buildDbfleet();
  const machine = await machineInfo(fleet.admin);
  log(renderMachine(machine));
  const base = { fleet, workDir, migrationsDir, log, concurrency: args.concurrency };
  const prepared = await prepare(base);
  const ctx: BenchContext = {
    ...base,
    runs: args.runs,
    floorSql: prepared.floor.file,
    knexfile: prepared.knexfile,
    templates: prepared.templates,
  };
  const wants = (suite: string) => args.only.includes(suite as never);
  const suites: SuiteResult[] = [];
  const buildReport = (partial: boolean): BenchReport => ({
    generatedAt: new Date().toISOString(),
    ...(partial ? { partial: true as const } : {}),
    machine,
    settings: {
      n: args.n,
      runs: args.runs,
      concurrency: args.concurrency,
      suites: args.only,
      knexCliSample: args.cliSample,
      dbfleetBin: relative(process.cwd(), DBFLEET_BIN),
    },
    workload: {
      migrations: prepared.floor.migrations,
      migrationStatements: prepared.floor.migrationStatements,
      floorStatements: prepared.floor.totalStatements,
    },
    notes: NOTES,
    suites,
    targets: evaluateTargets(suites, args.concurrency),
  });
  // The JSON is rewritten after every suite: an interrupted N = 1000 run keeps what it measured.
  const record = (result: SuiteResult) => {
    suites.push(result);
    writeJsonReport(resolve(args.out), buildReport(true));
  };

  let cli: CliSampleRounds | undefined;
  if (wants('migrate')) {
    log(`knex CLI loop: timing a sample of ${args.cliSample} tenants, ${args.runs} rounds`);
    cli = await sampleKnexCli(ctx, args.cliSample);
  }
  // Memory alone: dbfleet migrate at N = 50 and the largest N, no baselines.
  const memoryOnly = wants('memory') && !wants('migrate');
  const memoryNs = new Set([50, Math.max(...args.n)]);
  for (const n of args.n) {
    if (wants('migrate')) record(await migrateSuite(ctx, n, prepared.floor.migrations, { cli }));
    else if (memoryOnly && memoryNs.has(n)) {
      record(await migrateSuite(ctx, n, prepared.floor.migrations, { systems: ['dbfleet'] }));
    }
    if (wants('noop') || wants('backup') || wants('drift')) {
      const setup = await fleet.reset(n, ctx.templates.migrated);
      log(`fleet of ${n} migrated tenants created from the template in ${(setup / 1000).toFixed(1)} s`);
      if (wants('noop')) record({ ...(await noopSuite(ctx, n)), setupSeconds: setup / 1000 });
      if (wants('backup')) record(await backupSuite(ctx, n));
      if (wants('drift')) record(await driftSuite(ctx, n));
    }
    if (wants('upgrade')) record(await upgradeSuite(ctx, n, prepared.floor.migrations));
    if (wants('downtime')) record(await downtimeSuite(ctx, n, prepared.floor.migrations));
    if (wants('queue')) record(await queueSuite(ctx, n, prepared.floor.migrations));
    if (wants('scale')) record(await scaleSuite(ctx, n));
    if (wants('scale-schemas')) record(await scaleSchemasSuite(ctx, n));
  }

  const report = buildReport(false);
  writeJsonReport(resolve(args.out), report);
  writeFileSync(resolve(args.out).replace(/\.json$/, '') + '.md', renderMarkdown(report));
  process.stdout.write(
    `\n${renderMachine(machine)}\n${renderFigures(suites)}\n${renderTargets(report.targets)}\nJSON: ${resolve(args.out)}\n`,
  );
} finally {
  await cleanup();
}
