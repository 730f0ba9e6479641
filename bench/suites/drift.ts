import { join } from 'node:path';
import { runDbfleet } from '../dbfleet-cli.js';
import type { ChildRun } from '../measure.js';
import type { BenchContext, SuiteResult } from '../types.js';
import { createRecorder } from './recorder.js';
import { timed } from './timed.js';

type System = 'drift' | 'status';

/**
 * drift against status on the same up-to-date fleet (the caller made it from the migrated template):
 * both are one read-only pass over every tenant; drift adds one catalog read per tenant (the structure)
 * to the history read. The target: drift over 1000 tenants in about the time of a status pass.
 */
export async function driftSuite(ctx: BenchContext, n: number): Promise<SuiteResult> {
  const inventory = join(ctx.workDir, `inventory-drift-${n}.json`);
  ctx.fleet.writeInventory(inventory, n);
  const recorder = createRecorder<System>();
  const opts = { inventory, migrations: ctx.migrationsDir, concurrency: ctx.concurrency, cwd: ctx.workDir };
  const runners: Record<System, () => Promise<ChildRun>> = {
    drift: async () => {
      // A fleet made from one template cannot drift: exit 1 here would be a wrong fingerprint.
      const run = await runDbfleet('drift', opts);
      const groups = (run.report as { drift?: { versions: { groups: unknown[] }[] } }).drift?.versions;
      if (groups?.length !== 1 || groups[0]!.groups.length !== 1)
        throw new Error(
          `drift grouped a template-made fleet apart: ${JSON.stringify(groups)?.slice(0, 500)}`,
        );
      return run;
    },
    status: () => runDbfleet('status', opts),
  };
  for (let r = 0; r < ctx.runs; r++) {
    for (const system of (r % 2 ? ['status', 'drift'] : ['drift', 'status']) as System[]) {
      const t = await timed(ctx.fleet.tenantPattern, runners[system]);
      recorder.add(system, t);
      ctx.log(
        `  drift N=${n} run ${r + 1}/${ctx.runs} ${system}: ${(t.ms / 1000).toFixed(2)} s, peak ${t.peakConnections} connections`,
      );
    }
  }
  const C = ctx.concurrency;
  const measurements: SuiteResult['measurements'] = {
    drift: recorder.measurement('drift', `dbfleet drift (CLI, --concurrency ${C})`),
    status: recorder.measurement('status', `dbfleet status (CLI, --concurrency ${C})`),
  };
  const best = (s: System) => Math.min(...measurements[s]!.runsMs);
  return {
    suite: 'drift',
    n,
    measurements,
    ratios: {
      'drift/status': measurements.drift!.medianMs / measurements.status!.medianMs,
      [`drift/status (best of ${ctx.runs})`]: best('drift') / best('status'),
    },
    setupSeconds: 0,
  };
}
