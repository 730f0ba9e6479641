import { type CliLoopSample, knexCliLoop } from '../baselines/knex-cli.js';
import { dbUrl } from '../fleet.js';
import type { BenchContext } from '../types.js';

export interface CliSampleRounds {
  sample: number;
  /** Mean time of one `knex migrate:latest` process, per round. */
  perTenantMsByRound: number[];
  rounds: CliLoopSample[];
}

/**
 * Times the knex CLI loop on a sample of `sample` fresh tenants, `ctx.runs` rounds. The time of one
 * process does not depend on N, so one sample serves every N (extrapolated: sample mean × N).
 */
export async function sampleKnexCli(ctx: BenchContext, sample: number): Promise<CliSampleRounds> {
  const rounds: CliLoopSample[] = [];
  for (let r = 0; r < ctx.runs; r++) {
    await ctx.fleet.reset(sample, ctx.templates.empty);
    const urls = Array.from({ length: sample }, (_, i) => dbUrl(ctx.fleet.tenantDb(i + 1)));
    const round = await knexCliLoop(urls, ctx.knexfile);
    ctx.log(
      `  knex CLI loop sample ${r + 1}/${ctx.runs}: ${(round.perTenantRunsMs.reduce((a, b) => a + b, 0) / sample).toFixed(0)} ms per tenant`,
    );
    rounds.push(round);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { sample, rounds, perTenantMsByRound: rounds.map((r) => mean(r.perTenantRunsMs)) };
}
