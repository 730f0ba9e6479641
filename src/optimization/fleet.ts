import type { ErrorInfo } from '../core/errors.js';
import { optimizationEntries, setDigest } from '../fleet/definition-set.js';
import { describeFailure } from '../fleet/describe-failure.js';
import { type FleetOptions, fanOutOf, resolveTimeouts } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import { runFleet, type TaskOutcome, type TenantContext, withTenantArgs } from '../fleet/run-fleet.js';
import { checkVerbOptions, OPTIMIZATIONS } from '../fleet/verb-options.js';
import { loadOptimizations } from './loader.js';
import { selectOptimizations } from './planner.js';
import { optimizeTenant } from './runner.js';
import type { LoadedOptimization, Optimization, OptimizeDetails } from './types.js';
import { validateOptimizations } from './validate.js';

export interface OptimizeOptions extends FleetOptions {
  /**
   * The optimizations directory; or definitions already loaded with `loadOptimizations` (loaded once per
   * run); or plain definitions, validated here.
   */
  optimizations: string | readonly LoadedOptimization[] | readonly Optimization[];
  /** `--only`: run just these, by name (an unknown name is a usage error). */
  only?: readonly string[];
  /** `--dry-run`: change nothing; report what would happen, with the exact rows each cleanup would delete. */
  dryRun?: boolean;
}

function isLoaded(value: LoadedOptimization | Optimization): value is LoadedOptimization {
  return 'definition' in value && 'checksum' in value;
}

/** Loads, validates and selects: every problem is a UsageError before any tenant is touched. */
export async function resolveOptimizations(
  options: Pick<OptimizeOptions, 'optimizations' | 'only'>,
): Promise<LoadedOptimization[]> {
  const source = options.optimizations;
  let all: readonly LoadedOptimization[];
  if (typeof source === 'string') all = await loadOptimizations(source);
  else if (source.every((o) => isLoaded(o))) all = source as readonly LoadedOptimization[];
  else all = validateOptimizations((source as readonly Optimization[]).map((value) => ({ value })));
  return selectOptimizations(all, options.only);
}

/** `dbfleet optimize`'s per-tenant task: what a local run fans out and a queue worker runs. */
export function optimizeTask(
  options: Pick<OptimizeOptions, 'dryRun' | 'timeouts' | 'lockWaitMs'>,
  optimizations: readonly LoadedOptimization[],
): (ctx: TenantContext) => Promise<TaskOutcome<OptimizeDetails>> {
  const timeouts = resolveTimeouts(options.timeouts);
  return async (ctx) => {
    const tenantId = ctx.tenant.id;
    const t0 = Date.now();
    ctx.emit({ type: 'step:start', tenantId, step: 'optimize', at: t0 });
    const fail = (error: ErrorInfo) =>
      ctx.emit({
        type: 'step:done',
        tenantId,
        step: 'optimize',
        status: 'failed',
        durationMs: Date.now() - t0,
        error,
      });
    try {
      const session = await ctx.session();
      const result = await optimizeTenant({
        session,
        adapter: ctx.adapter,
        optimizations,
        dryRun: options.dryRun === true,
        timeouts,
        lockWaitMs: options.lockWaitMs ?? 0,
        emit: ctx.emit,
        signal: ctx.signal,
      });
      if (result.error) fail(result.error);
      else {
        const data = { optimizations: result.details.optimizations.length };
        ctx.emit({
          type: 'step:done',
          tenantId,
          step: 'optimize',
          status: 'succeeded',
          durationMs: Date.now() - t0,
          data,
        });
      }
      return { details: result.details, ...(result.error ? { error: result.error } : {}) };
    } catch (err) {
      fail(describeFailure(err, ctx.adapter));
      throw err;
    }
  };
}

/**
 * `dbfleet optimize`: converges every selected tenant to the optimization definitions, concurrently under
 * the fleet's caps. Per tenant: `optimizations: [{ name, action, rows? }]`. With `remote` (`--queue`)
 * they are still loaded here, so a bad definition or `--only` name is a usage error before any job.
 */
export async function optimize(options: OptimizeOptions): Promise<FleetReport<OptimizeDetails>> {
  checkVerbOptions('optimize', options, { optimizations: OPTIMIZATIONS });
  const optimizations = await resolveOptimizations(options);
  const optimizationSet = setDigest(optimizationEntries(optimizations));
  return runFleet<OptimizeDetails>(
    {
      command: 'optimize',
      tenants: options.tenants,
      ...fanOutOf(options),
      // Queued: workers refuse the job unless their optimizations are the ones loaded here.
      ...(options.remote ? { remote: withTenantArgs(options.remote, () => ({ optimizationSet })) } : {}),
      emptyDetails: () => ({ optimizations: [] }),
    },
    optimizeTask(options, optimizations),
  );
}
