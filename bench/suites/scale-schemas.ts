import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDbfleet } from '../dbfleet-cli.js';
import { dbUrl } from '../fleet.js';
import type { BenchContext, SuiteResult } from '../types.js';
import { createRecorder } from './recorder.js';
import { scaleResult } from './scale-result.js';
import { timed } from './timed.js';

/** Databases the tenants' schemas are spread over: "a few PostgreSQL databases" (issue 18). */
const DATABASES = 4;

/**
 * scale-schemas: the scale suite's question for tenants kept as schemas of a few PostgreSQL databases
 * (`schema` in the inventory): `dbfleet migrate` of N empty schemas with the journal on, then a no-op
 * `dbfleet status`. Run it at 1000 and 10000; the targets compare ms per tenant, peak RSS and journal
 * bytes per tenant between the two. Each run starts from freshly created databases.
 */
export async function scaleSchemasSuite(ctx: BenchContext, n: number): Promise<SuiteResult> {
  const dbs = Array.from({ length: DATABASES }, (_, i) => `${ctx.fleet.prefix}_schemas_${i + 1}`);
  const inventory = join(ctx.workDir, `scale-schemas-${n}.json`);
  writeFileSync(
    inventory,
    JSON.stringify(
      Array.from({ length: n }, (_, i) => {
        const id = `t${String(i).padStart(5, '0')}`;
        return { id, dialect: 'postgres', connection: dbUrl(dbs[i % DATABASES] as string), schema: id };
      }),
    ),
  );
  const recorder = createRecorder<'migrate' | 'status'>();
  const journalBytes: number[] = [];
  let setupMs = 0;
  const args = { inventory, migrations: ctx.migrationsDir, concurrency: ctx.concurrency, cwd: ctx.workDir };
  const pattern = `^${ctx.fleet.prefix}_schemas_[0-9]+$`;
  try {
    for (let r = 0; r < ctx.runs; r++) {
      const t0 = performance.now();
      for (const db of dbs) await ctx.fleet.createEmpty(db);
      await ctx.fleet.admin.query('checkpoint');
      const journal = join(ctx.workDir, `scale-schemas-${n}-journal.db`);
      rmSync(journal, { force: true });
      setupMs += performance.now() - t0;
      const migrate = await timed(pattern, () =>
        runDbfleet('migrate', { ...args, extra: ['--journal', journal] }),
      );
      recorder.add('migrate', migrate);
      journalBytes.push(statSync(journal).size / n);
      const status = await timed(pattern, () => runDbfleet('status', args));
      recorder.add('status', status);
      ctx.log(
        `  scale-schemas N=${n} run ${r + 1}/${ctx.runs}: migrate ${(migrate.ms / 1000).toFixed(1)} s, status ${(status.ms / 1000).toFixed(1)} s, peak ${migrate.peakConnections} connections`,
      );
    }
  } finally {
    for (const db of dbs) await ctx.fleet.drop(db).catch(() => {});
  }
  const migrate = recorder.measurement(
    'migrate',
    `dbfleet migrate, schemas in ${DATABASES} PostgreSQL databases (--concurrency ${ctx.concurrency})`,
  );
  const status = recorder.measurement('status', `dbfleet status, nothing pending (schemas)`);
  return scaleResult('scale-schemas', n, { migrate, status }, journalBytes, setupMs);
}
