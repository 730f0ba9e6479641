import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { UsageError } from '../../core/errors.js';
import type { UpgradeDetails } from '../../upgrade/types.js';
import { type CommonArgs, resolveContext, withCommonOptions } from '../context.js';
import { exitCodeOf, printReport } from '../output.js';
import { budgetHint } from '../render/next-steps.js';
import { upgradeAppliedColumn } from '../render/result-columns.js';
import { runCommand } from '../run-command.js';

type UpgradeArgs = CommonArgs & {
  canary?: string;
  waves?: string;
  'max-failures'?: string;
  'on-failure'?: 'rollback' | 'stop' | 'continue';
  'rollback-with'?: 'restore' | 'down';
  'deep-verify'?: boolean;
  resume?: string | boolean;
  checks?: string;
};

function stepsOf(d: UpgradeDetails): string {
  const failed = d.steps.find((s) => s.status === 'failed');
  if (failed) return `failed at ${failed.step}${d.rolledBack ? ' · rolled back' : ''}`;
  return `${d.steps.length} steps`;
}

export const upgradeCommand: CommandModule<object, UpgradeArgs> = {
  command: 'upgrade',
  describe:
    'the whole runbook per tenant: hooks, backup + verify, migrate, optimize, smoke checks, backup + verify',
  builder: (y) =>
    withCommonOptions(y)
      .option('canary', {
        type: 'string',
        describe: 'upgrade these first: the first <n> of the selection, or the tenants with tag <tag>',
        group: 'Waves:',
      })
      .option('waves', {
        type: 'string',
        describe: 'the waves after the canary, e.g. 5,25%,rest (default: rest)',
        group: 'Waves:',
      })
      .option('max-failures', {
        type: 'string',
        describe: 'failure budget: a count or a percentage; beyond it no new tenant starts (default 0)',
        group: 'Waves:',
      })
      .option('on-failure', {
        choices: ['rollback', 'stop', 'continue'] as const,
        default: 'rollback' as const,
        describe:
          'what a failed tenant gets: rollback (restore its pre-upgrade backup), stop (leave it, start no new tenant), continue (leave it)',
        group: 'Failure:',
      })
      .option('rollback-with', {
        choices: ['restore', 'down'] as const,
        default: 'restore' as const,
        describe: 'roll back by restoring the pre-upgrade backup, or by running the down migrations',
        group: 'Failure:',
      })
      .option('deep-verify', {
        type: 'boolean',
        describe: 'deep-verify the pre-upgrade backup (restore into a scratch database and compare)',
        group: 'Failure:',
      })
      .option('resume', {
        type: 'string',
        describe: 'continue the latest upgrade run (or the named run id) after a crash or interrupt',
        group: 'Journal:',
      })
      .option('checks', {
        type: 'string',
        describe: 'smoke checks folder (default ./checks)',
        group: 'Fleet:',
      })
      .example(
        '$0 upgrade --canary canary --waves 10%,rest --max-failures 2',
        'canaries first, then 10%, then the rest',
      )
      .example('$0 upgrade --resume', 'finish the run a crash interrupted') as never,
  handler: (args) =>
    runCommand(async (signal) => {
      const [{ prepareUpgrade }, { validateThrottle }, { upgrade }] = await Promise.all([
        import('../../upgrade/prepare.js'),
        import('../../upgrade/throttle.js'),
        import('../../upgrade/upgrade.js'),
      ]);
      const ctx = await resolveContext(args, signal);
      const config = ctx.config as Record<string, unknown>;
      const checksFromConfig = config.checks;
      if (
        checksFromConfig !== undefined &&
        typeof checksFromConfig !== 'string' &&
        !Array.isArray(checksFromConfig)
      ) {
        throw new UsageError('config.checks must be a folder path or a list of checks');
      }
      const checksDir = args.checks
        ? resolve(args.checks)
        : resolve(ctx.baseDir, typeof checksFromConfig === 'string' ? checksFromConfig : 'checks');
      const prepared = await prepareUpgrade({
        ...ctx.fleet,
        migrations: ctx.migrationsDir,
        // No optimizations folder where none was asked for: the upgrade simply has no optimizations.
        optimizations:
          args.optimizations === undefined &&
          config.optimizations === undefined &&
          !existsSync(ctx.optimizationsDir)
            ? undefined
            : ctx.optimizationsDir,
        backupDir: ctx.backupDir,
        journal: ctx.journal,
        hooks: config.hooks as { beforeTenant?: unknown; afterTenant?: unknown } | undefined,
        checks: Array.isArray(checksFromConfig) ? checksFromConfig : undefined,
        checksDir,
      });
      const resume =
        args.resume === undefined
          ? undefined
          : args.resume === '' || args.resume === true
            ? true
            : String(args.resume);
      const report = await upgrade({
        ...ctx.fleet,
        ...prepared,
        canary: args.canary,
        waves: args.waves,
        maxFailures: args['max-failures'],
        onFailure: args['on-failure'],
        rollbackWith: args['rollback-with'],
        deepVerify: args['deep-verify'],
        throttle: validateThrottle(config.throttle),
        ...(resume !== undefined ? { resume } : {}),
      });
      printReport(
        report,
        ctx.mode,
        [
          { head: 'steps', value: (r) => stepsOf(r.details as unknown as UpgradeDetails) },
          upgradeAppliedColumn(),
          { head: 'users', value: (r) => String((r.details as unknown as UpgradeDetails).maintenance ?? '') },
        ],
        [
          report.runId && `run ${report.runId} — details: dbfleet report --run ${report.runId}`,
          budgetHint(report),
        ]
          .filter(Boolean)
          .join('\n') || undefined,
      );
      const attention = report.tenants.filter((t) => (t.details as unknown as UpgradeDetails).needsAttention);
      for (const t of attention)
        process.stderr.write(`\n!!! ${t.id}: ${(t.details as unknown as UpgradeDetails).needsAttention}\n`);
      return exitCodeOf(report);
    }),
};
