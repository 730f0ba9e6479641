import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, runChild } from '../measure.js';

const KNEX_BIN = resolve(fileURLToPath(new URL('../../node_modules/knex/bin/cli.js', import.meta.url)));

const NODE_MODULES = resolve(fileURLToPath(new URL('../../node_modules', import.meta.url)));

/**
 * The knexfile a user of the bash loop would have: the database comes from the environment. The knex CLI
 * loads the knex installed next to the knexfile, so the folder gets this repo's node_modules, as a
 * project folder would have.
 */
export function writeKnexfile(dir: string, migrationsDir: string): string {
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(NODE_MODULES, join(dir, 'node_modules'), 'dir');
  const file = join(dir, 'knexfile.cjs');
  writeFileSync(
    file,
    `module.exports = { client: 'pg', connection: process.env.BENCH_DB_URL, migrations: { directory: ${JSON.stringify(resolve(migrationsDir))} } };\n`,
  );
  return file;
}

export interface CliLoopSample {
  /** Tenants timed. */
  sample: number;
  /** Median time of one `knex migrate:latest` process. */
  perTenantMs: number;
  perTenantRunsMs: number[];
}

/**
 * What users do today: `for db in …; do knex migrate:latest; done`. One process per tenant, one after the
 * other. Timing every tenant at N = 1000 would take longer than the rest of the bench together, so a
 * sample is timed and the loop's time extrapolated (the report says so).
 */
export async function knexCliLoop(urls: readonly string[], knexfile: string): Promise<CliLoopSample> {
  const perTenantRunsMs: number[] = [];
  for (const url of urls) {
    const run = await runChild(process.execPath, [KNEX_BIN, 'migrate:latest', '--knexfile', knexfile], {
      env: { ...process.env, BENCH_DB_URL: url },
      measureRss: false,
    });
    if (run.code !== 0) throw new Error(`knex migrate:latest failed: ${run.stderr.slice(-2000)}`);
    perTenantRunsMs.push(run.wallMs);
  }
  return { sample: urls.length, perTenantMs: median(perTenantRunsMs), perTenantRunsMs };
}
