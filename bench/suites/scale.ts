import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDbfleet } from '../dbfleet-cli.js';
import type { BenchContext, SuiteResult } from '../types.js';
import { createRecorder } from './recorder.js';
import { scaleResult } from './scale-result.js';
import { timed } from './timed.js';

/**
 * scale: per-tenant cost as the fleet grows, on SQLite files (one file per tenant, as such fleets are
 * kept): `dbfleet migrate` of N empty tenants with the journal on, then a no-op `dbfleet status` of the
 * migrated fleet. Run it at 1000 and 10000 (`--n 1000,10000`): the targets compare ms per tenant, peak
 * RSS and the journal's bytes per tenant between the two sizes.
 */
export async function scaleSuite(ctx: BenchContext, n: number): Promise<SuiteResult> {
  const dir = join(ctx.workDir, `scale-${n}`);
  const inventory = join(ctx.workDir, `scale-${n}.json`);
  const files = Array.from({ length: n }, (_, i) => join(dir, `t${String(i).padStart(5, '0')}.sqlite`));
  writeFileSync(
    inventory,
    JSON.stringify(
      files.map((file, i) => ({ id: `t${String(i).padStart(5, '0')}`, dialect: 'sqlite', connection: file })),
    ),
  );
  const recorder = createRecorder<'migrate' | 'status'>();
  const journalBytes: number[] = [];
  let setupMs = 0;
  const args = { inventory, migrations: ctx.migrationsDir, concurrency: ctx.concurrency, cwd: ctx.workDir };
  try {
    for (let r = 0; r < ctx.runs; r++) {
      const t0 = performance.now();
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const file of files) writeFileSync(file, ''); // an empty file is an empty SQLite database
      const journal = join(dir, 'journal.db');
      setupMs += performance.now() - t0;
      const migrate = await timed(ctx.fleet.tenantPattern, () =>
        runDbfleet('migrate', { ...args, extra: ['--journal', journal] }),
      );
      recorder.add('migrate', migrate);
      journalBytes.push(statSync(journal).size / n);
      const status = await timed(ctx.fleet.tenantPattern, () => runDbfleet('status', args));
      recorder.add('status', status);
      ctx.log(
        `  scale N=${n} run ${r + 1}/${ctx.runs}: migrate ${(migrate.ms / 1000).toFixed(1)} s, status ${(status.ms / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const migrate = recorder.measurement(
    'migrate',
    `dbfleet migrate, SQLite files (--concurrency ${ctx.concurrency})`,
  );
  const status = recorder.measurement('status', 'dbfleet status, nothing pending (SQLite files)');
  return scaleResult('scale', n, { migrate, status }, journalBytes, setupMs);
}
